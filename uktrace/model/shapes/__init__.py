"""The JSON uktrace writes, as types: one TypedDict per output (and per object inside one), each
field with its check for readers (`checks`). The builders return these types, the readers read
with the checks, and the published JSON Schemas (`uktrace/schemas/`, `docs/schemas/`) are
generated from them (`outputs.OUTPUTS`, `derive.json_schema`, `make schemas`): a field is declared in one place.
"""
