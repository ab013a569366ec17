"""PAY-1 in the database, on the purchase's price (not the plan's total).

``clients_paymentplan_above_threshold`` checks ``total > 5000``: a surcharge
plan's total is the price × 1.12, so a 4,500.00 purchase (total 5,040.00)
passed it. A CHECK constraint sees only its own row, and the price lives on
the purchase, so two constraint triggers say the rule instead:

- a plan inserted, or moved to another purchase, needs that purchase's
  price above 5,000.00 (the purchase row is read ``FOR SHARE``, so a
  concurrent price change waits for the plan's transaction, and is then
  checked by the second trigger);
- a purchase's price lowered to 5,000.00 or less is refused while it has a
  plan.

Both raise SQLSTATE 23514 (check_violation), which Django reports as
``IntegrityError``, like a CHECK constraint. A trigger rather than a copy of
the price on the plan: nothing has to keep a second price in step (the
service, the scale seed's COPY, the test factories write plans unchanged),
and the rule reads the one price there is. Triggers are not part of
Django's model state, so ``makemigrations`` does not see them; the reverse
migration drops them. See docs/clients.md.
"""

from django.db import migrations

FORWARD = [
    """
CREATE FUNCTION clients_paymentplan_pay1() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    purchase_price numeric;
BEGIN
    SELECT price INTO purchase_price FROM clients_purchase
     WHERE id = NEW.purchase_id FOR SHARE;
    IF purchase_price IS NULL OR purchase_price <= 5000 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            CONSTRAINT = 'clients_paymentplan_pay1_purchase_price',
            MESSAGE = format(
                'PAY-1: a payment plan needs a purchase above 5000.00; purchase %s costs %s',
                NEW.purchase_id, purchase_price
            );
    END IF;
    RETURN NULL;
END
$$
""",
    """
CREATE CONSTRAINT TRIGGER clients_paymentplan_pay1_purchase_price
AFTER INSERT OR UPDATE OF purchase_id ON clients_paymentplan
FOR EACH ROW EXECUTE FUNCTION clients_paymentplan_pay1()
""",
    """
CREATE FUNCTION clients_purchase_pay1() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM clients_paymentplan WHERE purchase_id = NEW.id) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            CONSTRAINT = 'clients_purchase_pay1_plan_price',
            MESSAGE = format(
                'PAY-1: purchase %s has a payment plan; its price must stay above 5000.00',
                NEW.id
            );
    END IF;
    RETURN NULL;
END
$$
""",
    """
CREATE CONSTRAINT TRIGGER clients_purchase_pay1_plan_price
AFTER UPDATE OF price ON clients_purchase
FOR EACH ROW WHEN (NEW.price <= 5000)
EXECUTE FUNCTION clients_purchase_pay1()
""",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS clients_purchase_pay1_plan_price ON clients_purchase",
    "DROP FUNCTION IF EXISTS clients_purchase_pay1()",
    "DROP TRIGGER IF EXISTS clients_paymentplan_pay1_purchase_price ON clients_paymentplan",
    "DROP FUNCTION IF EXISTS clients_paymentplan_pay1()",
]


class Migration(migrations.Migration):
    dependencies = [("clients", "0005_product_par3_active_partner_trigger")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD, elidable=False)]
