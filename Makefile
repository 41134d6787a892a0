# ecom-backoffice: the two commands are `make run` and `make test` (see README.md).
# Every target delegates to tools/ecom, which installs what is missing first.
DB ?= ecom_demo
DEMO ?= 0
ARGS ?=
BENCH ?=

.PHONY: run test db shell lint check-install compare-odoo-tests setup bench help

help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

## make run [WORKERS=n]      set up everything, create the demo database once, serve http://127.0.0.1:8069
run:
	@tools/ecom run $(DB)

## make test [ARGS=...]      fresh test database, then every test (unit + Odoo) in one pytest run
test:
	@tools/ecom test $(ARGS)

## make db DB=name [DEMO=1]  fresh database with all the addons (with generated demo data if DEMO=1)
db:
	@tools/ecom db $(DB) $(DEMO)

## make shell DB=name < s.py Odoo shell on DB reading a script from standard input (`env` is bound)
shell:
	@tools/ecom shell $(DB)

## make lint                 ruff (format + check) and pylint-odoo
lint:
	@tools/ecom lint

## make check-install        install each addon alone and all of them together; fail on log warnings
check-install:
	@tools/ecom check-install

## make compare-odoo-tests   Odoo's own sale_stock/purchase_stock/stock_* tests, without and with our addons
compare-odoo-tests:
	@tools/ecom compare-odoo-tests

## make setup                only install what is missing (Debian packages, Odoo, .venv, PostgreSQL)
setup:
	@tools/ecom setup

## make bench [BENCH=name]   run the benchmarks in bench/ (figures and ratios, never pass/fail)
bench:
	@tools/ecom bench $(BENCH)
