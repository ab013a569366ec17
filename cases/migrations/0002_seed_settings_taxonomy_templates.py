"""Seed the SLA settings row, a typing taxonomy (Spanish and English names)
and the playbook's service phrases as response templates (TYP-2, COM-6)."""

from django.db import migrations

TAXONOMY = [
    (
        ("Pagos y facturación", "Payments and billing"),
        [
            ("Duda sobre un cobro", "Question about a charge"),
            ("Plan de pagos", "Payment plan"),
            ("Factura o comprobante", "Invoice or receipt"),
            ("Pago rechazado o pendiente", "Declined or pending payment"),
        ],
    ),
    (
        ("Acceso a la plataforma", "Platform access"),
        [
            ("No puede iniciar sesión", "Cannot log in"),
            ("Restablecer contraseña", "Password reset"),
            ("Contenido bloqueado", "Content locked"),
            ("Falla técnica", "Technical fault"),
        ],
    ),
    (
        ("Contenido del programa", "Programme content"),
        [
            ("Duda sobre el contenido", "Question about the content"),
            ("Calendario de sesiones en vivo", "Live session schedule"),
            ("Materiales y recursos", "Materials and resources"),
            ("Mentoría o sesión 1:1", "Mentoring or 1:1 session"),
        ],
    ),
    (
        ("Reembolsos y cancelaciones", "Refunds and cancellations"),
        [
            ("Solicitud de reembolso", "Refund request"),
            ("Solicitud de cancelación", "Cancellation request"),
            ("Cambio de servicio", "Service change"),
            ("Crédito a favor", "Credit"),
        ],
    ),
    (
        ("Seguimiento y rescate", "Follow-up and rescue"),
        [
            ("Seguimiento proactivo", "Proactive follow-up"),
            ("Cliente inactivo", "Inactive client"),
            ("Protocolo de rescate", "Rescue protocol"),
            ("Encuesta de satisfacción", "Satisfaction survey"),
        ],
    ),
    (
        ("Ventas", "Sales"),
        [
            ("Upsell", "Upsell"),
            ("Cross-sell", "Cross-sell"),
            ("Información de productos", "Product information"),
        ],
    ),
    (
        ("Quejas", "Complaints"),
        [
            ("Calidad del servicio del socio", "Partner's service quality"),
            ("Tiempo de respuesta", "Response time"),
            ("Expectativas no alineadas", "Expectations not aligned"),
            ("Trato recibido", "How the client was treated"),
        ],
    ),
    (
        ("Otros", "Other"),
        [
            ("Consulta general", "General enquiry"),
        ],
    ),
]

# The playbook's "Frases que reflejan una cultura de servicio".
TEMPLATES = [
    (
        ("Agradecer y ofrecer ayuda", "Thank and offer help"),
        "Gracias por compartir esto, estoy aquí para ayudarte.",
        "Thank you for sharing this, I am here to help you.",
    ),
    (
        ("Empatía y solución", "Empathy and a solution"),
        "Entiendo cómo te sientes, déjame buscar la mejor solución.",
        "I understand how you feel; let me find the best solution.",
    ),
    (
        ("Revisión personal", "Personal follow-up"),
        "Voy a revisar esto personalmente y te mantendré al tanto.",
        "I will look into this personally and keep you posted.",
    ),
    (
        ("Explicar paso a paso", "Explain step by step"),
        "Quiero asegurarme que tengas claridad total, déjame explicártelo paso a paso.",
        "I want to make sure this is completely clear to you; let me explain it step by step.",
    ),
    (
        ("Agradecer la paciencia", "Thank for patience"),
        "Te agradezco tu paciencia, vamos a resolverlo juntos.",
        "Thank you for your patience; we are going to solve this together.",
    ),
]


def seed(apps, schema_editor):
    SlaSettings = apps.get_model("cases", "SlaSettings")
    TypingCategory = apps.get_model("cases", "TypingCategory")
    TypingReason = apps.get_model("cases", "TypingReason")
    ResponseTemplate = apps.get_model("cases", "ResponseTemplate")
    SlaSettings.objects.get_or_create(pk=1)
    for position, ((name_es, name_en), reasons) in enumerate(TAXONOMY, start=1):
        category, _ = TypingCategory.objects.get_or_create(
            name_es=name_es, defaults={"name_en": name_en, "position": position}
        )
        for reason_position, (reason_es, reason_en) in enumerate(reasons, start=1):
            TypingReason.objects.get_or_create(
                category=category,
                name_es=reason_es,
                defaults={"name_en": reason_en, "position": reason_position},
            )
    for position, ((name_es, name_en), body_es, body_en) in enumerate(TEMPLATES, start=1):
        ResponseTemplate.objects.get_or_create(
            name_es=name_es,
            defaults={
                "name_en": name_en,
                "body_es": body_es,
                "body_en": body_en,
                "position": position,
            },
        )


def unseed(apps, schema_editor):
    # Keep what interactions may point at; only the settings row goes.
    apps.get_model("cases", "SlaSettings").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
