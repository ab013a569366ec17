"""PAR-3 in the database: a product is given only to an active partner.

A product row cannot check its partner's stage (another table), so a
trigger does: inserting a product, or moving one to another partner, is
refused unless the partner is in the directory and open. The partner row is
read FOR SHARE so that a pause running at the same moment waits for the new
product (or the product waits for the pause). Changing anything else of an
existing product (its price, switching it off) stays possible after its
partner was paused. The service (``clients.services.save_product``) says
the same thing first, with the rule's message.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION clients_product_par3_check() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.partner_id IS NOT DISTINCT FROM OLD.partner_id THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM partners_partner
     WHERE id = NEW.partner_id AND stage = 'directory' AND status = 'open'
       FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'PAR-3: partner % is not active; it cannot be given products',
                        NEW.partner_id
              USING ERRCODE = 'check_violation',
                    CONSTRAINT = 'clients_product_par3_active_partner';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER clients_product_par3_active_partner
    BEFORE INSERT OR UPDATE OF partner_id ON clients_product
    FOR EACH ROW EXECUTE FUNCTION clients_product_par3_check();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS clients_product_par3_active_partner ON clients_product;
DROP FUNCTION IF EXISTS clients_product_par3_check();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0004_kpi_created_indexes"),
        ("partners", "0003_admin_permissions"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
