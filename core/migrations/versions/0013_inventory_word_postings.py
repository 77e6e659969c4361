"""Inventory search: which products hold each word, in código order (PostgreSQL)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 23:50:00

PostgreSQL only. A search for one common word ("truper", "pintura": 5–7 % of a 100,000-product
catalog) found its products through the GIN index on ``erp_productos.palabras``, then had to read
every one of them from the table (3,000 pages) to count them and to take the first 20 by código:
10–13 ms of the search's 15–20. ``erp_productos_palabra_producto`` holds one row per (palabra,
código, producto) with that b-tree as its key, so the same count and first page are index-only
scans of a few dozen pages. Statement triggers with transition tables keep it in step with
``palabras`` on every insert, update and delete, whichever loader writes (as 0008's word list),
and a TRUNCATE of the products empties it too.
"""
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLE = 'erp_productos_palabra_producto'
# The rows a set of products adds: every distinct non-empty word of each, with its código.
ROWS_OF = "SELECT DISTINCT w, {t}.codigo, {t}.id FROM {t}, unnest({t}.palabras) AS w WHERE w <> ''"
CHANGED = ("SELECT n.id FROM nuevos n JOIN viejos o ON o.id = n.id "
           "WHERE n.palabras IS DISTINCT FROM o.palabras OR n.codigo IS DISTINCT FROM o.codigo")
FUNCTIONS = {
    'insert': f"""
BEGIN
    INSERT INTO {TABLE} (palabra, codigo, producto_id) {ROWS_OF.format(t='nuevos')};
    RETURN NULL;
END""",
    # Only the products whose words or código changed: a sync rewrites every product it reads.
    'update': f"""
BEGIN
    DELETE FROM {TABLE} x USING ({ROWS_OF.format(t='viejos')} AND viejos.id IN ({CHANGED}))
        AS d (palabra, codigo, producto_id)
     WHERE x.palabra = d.palabra AND x.codigo = d.codigo AND x.producto_id = d.producto_id;
    INSERT INTO {TABLE} (palabra, codigo, producto_id)
        {ROWS_OF.format(t='nuevos')} AND nuevos.id IN ({CHANGED});
    RETURN NULL;
END""",
    'delete': f"""
BEGIN
    DELETE FROM {TABLE} x USING ({ROWS_OF.format(t='viejos')}) AS d (palabra, codigo, producto_id)
     WHERE x.palabra = d.palabra AND x.codigo = d.codigo AND x.producto_id = d.producto_id;
    RETURN NULL;
END""",
    'truncate': f"""
BEGIN
    TRUNCATE {TABLE};
    RETURN NULL;
END""",
}
REFERENCING = {'insert': 'REFERENCING NEW TABLE AS nuevos',
               'update': 'REFERENCING OLD TABLE AS viejos NEW TABLE AS nuevos',
               'delete': 'REFERENCING OLD TABLE AS viejos', 'truncate': ''}


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    # The key is the order every read wants: a word's products by código, then id (the list's
    # tie-break); codigo has erp_productos.codigo's type and collation, so the orders agree.
    op.execute(f'CREATE TABLE {TABLE} (palabra text NOT NULL, codigo varchar(50) NOT NULL, '
               f'producto_id integer NOT NULL, CONSTRAINT pk_{TABLE} PRIMARY KEY (palabra, codigo, producto_id))')
    op.execute(f"INSERT INTO {TABLE} (palabra, codigo, producto_id) {ROWS_OF.format(t='erp_productos')}")
    for event, body in FUNCTIONS.items():
        op.execute(f'CREATE FUNCTION {TABLE}_{event}() RETURNS trigger LANGUAGE plpgsql AS $${body} $$')
        op.execute(f'CREATE TRIGGER trg_{TABLE}_{event} AFTER {event.upper()} ON erp_productos '
                   f'{REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_{event}()')
    op.execute(f'ANALYZE {TABLE}')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for event in FUNCTIONS:
        op.execute(f'DROP TRIGGER IF EXISTS trg_{TABLE}_{event} ON erp_productos')
        op.execute(f'DROP FUNCTION IF EXISTS {TABLE}_{event}()')
    op.execute(f'DROP TABLE IF EXISTS {TABLE}')
