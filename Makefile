# A thin front over CMake: the README's two commands.
#   make test    install what is missing, build, run every test
#   make bench   install what is missing, build, run the bench on the CPU backend
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build test bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure

bench: build
	@scripts/bench-examples $(BUILD)

clean:
	rm -rf $(BUILD)
