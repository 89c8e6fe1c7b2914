# The front door: `make run` runs the whole pipeline locally, `make test` runs the tests. `make help` lists the rest.
SHELL := bash
FUNCTIONS := upload resize serve authorizer sweep
GO ?= go
STACK_NAME ?= imgpipe
# Lambda builds: provided.al2023 on arm64, static, no RPC shim (lambda.norpc drops the legacy go1.x RPC server).
# nodynamic keeps the HEIC/AVIF decoders on their WebAssembly builds, never a system libheif, as in Lambda.
LAMBDA_FLAGS := -tags lambda.norpc,nodynamic -trimpath -ldflags='-s -w'

# cfn-lint from PATH, else through whichever python3 has the cfnlint package (pip install cfn-lint).
CFN_LINT ?= $(or $(shell command -v cfn-lint),python3 -c 'import sys; from cfnlint.runner import main; sys.argv[0] = "cfn-lint"; sys.exit(main())')

.PHONY: help run token test test-mysql test-dynamo e2e bench build package lint deploy smoke smoke-local clean

help: ## Show the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

run: ## Run the whole pipeline on 127.0.0.1 (API :8080, CDN :8081, S3 :9000, data in ./data); no cloud, no Docker
	$(GO) run -tags nodynamic ./cmd/imgpipe-local -data data

USER ?= local-user
token: ## Print a bearer token for the local stack (USER=alice, ADMIN=1 for the admin group)
	@$(GO) run -tags nodynamic ./cmd/imgpipe-local -data data token $(USER) $(if $(ADMIN),-admin,)

test: ## Run the tests (the MySQL and DynamoDB suites too when CATALOG_TEST_MYSQL_DSN / CATALOG_TEST_DYNAMODB_ENDPOINT are set; .ci/run sets them)
	$(GO) test -tags nodynamic -count=1 ./...

test-mysql: ## Start a private MariaDB on 127.0.0.1 (installing it with apt-get if needed) and run the tests against it
	eval "$$(scripts/mariadb.sh start)" && $(GO) test -tags nodynamic -count=1 ./...

test-dynamo: ## Start a private dynalite on 127.0.0.1 (installing it with npm if needed) and run the DynamoDB catalog's tests against it
	eval "$$(scripts/dynalite.sh start)" && $(GO) test -tags nodynamic -count=1 ./pkg/catalog/dynamostore/ ./cmd/catalog-migrate/

e2e: ## End-to-end test of the real bootstrap binaries under a Lambda Runtime API, against MinIO (built once, cached)
	MINIO_REQUIRED=1 $(GO) test -count=1 -v -run . ./e2e/

# -sharp times sharp (libvips) in the same run; -synthetic50 adds a generated 50 MP photo for the memory figure;
# -gomaxprocs 1,2 adds the two-core speed-up; -serve the on-demand render against sharp's; -formats HEIC, AVIF and
# the colour transform.
BENCH_FLAGS ?= -n 7 -gomaxprocs 1,2 -sharp -synthetic50 -serve -formats
bench: ## Time the resize job and a render against a naive baseline and sharp on real photos, pinned to one core
	$(GO) build -o build/bench ./cmd/bench
	$(if $(shell command -v taskset),taskset -c 0,) build/bench $(BENCH_FLAGS)

build: ## Build the bootstrap binaries for this machine into build/host/<fn>/bootstrap
	@for fn in $(FUNCTIONS); do \
	  CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o build/host/$$fn/bootstrap ./functions/$$fn || exit 1; done
	$(GO) build ./...

package: ## Build build/<fn>/bootstrap for linux/arm64 (provided.al2023) and zip each as build/<fn>.zip
	@for fn in $(FUNCTIONS); do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(LAMBDA_FLAGS) -o build/$$fn/bootstrap ./functions/$$fn || exit 1; \
	  rm -f build/$$fn.zip; \
	  if command -v zip >/dev/null; then (cd build/$$fn && zip -q -X ../$$fn.zip bootstrap); \
	  else (cd build/$$fn && python3 -m zipfile -c ../$$fn.zip bootstrap); fi || exit 1; \
	  echo "build/$$fn.zip: $$(file -b build/$$fn/bootstrap 2>/dev/null | cut -d, -f1-2)"; done

lint: ## go vet, gofmt and cfn-lint on the SAM template
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(CFN_LINT) deploy/template.yaml

deploy: package ## Deploy to your AWS account with SAM (first run is --guided and saves deploy/samconfig.toml); not runnable in CI
	sam deploy --template-file deploy/template.yaml --stack-name $(STACK_NAME) \
	  --capabilities CAPABILITY_IAM --resolve-s3 --no-fail-on-empty-changeset \
	  $(if $(wildcard deploy/samconfig.toml),,--guided)

smoke: ## After deploy: upload a photo, check its derivatives and a render (API=https://…/images BUCKET=name CDN=https://…; SMOKE_TOKEN)
	$(GO) run ./scripts/smoke -api $(API) -bucket $(BUCKET) $(if $(CDN),-cdn $(CDN),)

smoke-local: ## Run the smoke test against a throwaway local stack (the `make run` + curl check, scripted)
	scripts/smoke-local.sh

clean: ## Remove build output and local data
	rm -rf build data
