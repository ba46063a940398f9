# Parley: `make run` starts the platform locally, `make test` runs every test. `make help` lists the targets.

SHELL := /bin/bash
MVN ?= mvn
MVN_FLAGS ?= -B
JAVA ?= java

SERVICES := model-simulator model-registry-service usage-service inference-proxy-service chat-service
JARS := $(foreach m,$(SERVICES),$(m)/target/quarkus-app/quarkus-run.jar)
LAUNCHER_CP := e2e/target/classpath.txt
BUILD_STAMP := target/.parley-build
DATA := .local
# where the registry of `make run` finds SambaStack deployments: stand-in (default: a mock API server with SambaStack's
# kinds, started and stopped with the platform; not a real cluster), kubeconfig (the cluster of KUBECONFIG, read-only:
# the registry only gets, lists and watches) or none (static endpoints only)
CLUSTER ?= stand-in

.DEFAULT_GOAL := help
.PHONY: help run build build-if-needed test test-js test-e2e format format-check clean clean-data logs maven39 images

help: ## list the targets
	@echo "Parley — make <target>:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: build-if-needed ## start the whole platform on the ports of design §8 (builds what is missing), with a stand-in SambaStack cluster; CLUSTER=kubeconfig reads the cluster of KUBECONFIG instead (read-only); Ctrl-C stops it
	@$(JAVA) -Dparley.root="$(CURDIR)" -cp "e2e/target/classes:$$(cat $(LAUNCHER_CP))" \
		io.parley.e2e.platform.LocalPlatform --data "$(DATA)" --cluster "$(CLUSTER)"; \
	status=$$?; [ $$status -eq 130 ] || [ $$status -eq 143 ] || exit $$status

build: ## package every module without running tests (service jars, launcher, Keycloak distribution)
	$(MVN) $(MVN_FLAGS) -DskipTests package dependency:build-classpath \
		-Dmdep.outputFile=target/classpath.txt -DincludeScope=runtime
	@mkdir -p $(dir $(BUILD_STAMP)) && touch $(BUILD_STAMP)

build-if-needed: # build only when a jar is missing or a source or POM changed since the last build
	@stale=""; \
	for f in $(JARS) $(LAUNCHER_CP) $(BUILD_STAMP); do [ -f "$$f" ] || stale="$$f missing"; done; \
	if [ -z "$$stale" ]; then \
		newer=$$(find pom.xml */pom.xml */src config -type f -newer $(BUILD_STAMP) -print -quit 2>/dev/null); \
		[ -z "$$newer" ] || stale="$$newer changed"; \
	fi; \
	if [ -n "$$stale" ]; then echo "building ($$stale)"; $(MAKE) --no-print-directory build; fi

# The browser tests' Chromium goes in as -De2e.chromium, not under parley.*: surefire hands every -D property to each
# test JVM, and the services' @ConfigMapping(prefix = "parley") refuses a parley.* property it does not know.
test: test-js ## every test: the playground's JavaScript unit tests, unit and @QuarkusTest in each module, then the e2e ITs (real Keycloak, PostgreSQL, browser)
	@chromium=$$(scripts/ensure-chromium.sh) && echo "browser tests use $$chromium" && \
		$(MVN) $(MVN_FLAGS) verify -De2e.chromium="$$chromium"

# node's own test runner, no npm packages: the stream reader and the store of the playground (web/app/*.js)
test-js: ## only the playground's JavaScript unit tests (node --test, no browser; scripts/ensure-node.sh finds or installs Node.js)
	@node=$$(scripts/ensure-node.sh) && echo "JavaScript unit tests use $$node ($$("$$node" --version))" && \
		"$$node" --test chat-service/src/test/js/*.test.js

test-e2e: ## only the e2e ITs, against the already packaged jars (after `make build`)
	@chromium=$$(scripts/ensure-chromium.sh) && echo "browser tests use $$chromium" && \
		$(MVN) $(MVN_FLAGS) -pl e2e verify -De2e.chromium="$$chromium"

format: ## format the Java sources and sort imports (the build does this too)
	$(MVN) $(MVN_FLAGS) -q process-sources

format-check: ## check formatting and import order without changing any file (CI)
	$(MVN) $(MVN_FLAGS) -Pformat-check process-sources

clean: ## remove build output (keeps the local data in .local/)
	$(MVN) $(MVN_FLAGS) -q clean
	@rm -f $(BUILD_STAMP)

clean-data: ## delete the local platform's data and logs (.local/); stop `make run` first
	@if pgrep -f "LocalPlatform --data $(DATA)" >/dev/null; then echo "make run is still running: stop it first"; exit 1; fi
	rm -rf $(DATA)

logs: ## follow the local platform's logs
	@tail -n 20 -F $(DATA)/logs/*.log

maven39: ## unpack Maven 3.9 (needed by quarkus:dev) from Maven Central into tools/ (ignored); then tools/apache-maven-3.9.12/bin/mvn
	$(MVN) $(MVN_FLAGS) -q -N dependency:unpack -Dartifact=org.apache.maven:apache-maven:3.9.12:zip:bin -DoutputDirectory=tools
	@echo "Maven 3.9: $(CURDIR)/tools/apache-maven-3.9.12/bin/mvn (e.g. tools/apache-maven-3.9.12/bin/mvn -pl chat-service quarkus:dev)"

images: ## build the five service images with Jib and check them (no Docker engine; root, Debian packages; docs/install.md#images)
	scripts/images.sh
