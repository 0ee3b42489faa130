# Thin wrapper over meson + ninja. See README.md.
DB ?= var/tiaokuai.db
LISTEN ?= 127.0.0.1:8080

.PHONY: all build run check bench clean format

all: build

build/build.ninja:
	meson setup build --buildtype=debugoptimized

build-asan/build.ninja:
	meson setup build-asan --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false

build: build/build.ninja
	ninja -C build

run:
	@scripts/bootstrap.sh run
	@$(MAKE) --no-print-directory build
	@scripts/run.sh "$(DB)" "$(LISTEN)"

check:
	@scripts/bootstrap.sh check
	@$(MAKE) --no-print-directory build build-asan/build.ninja
	@ninja -C build-asan >/dev/null
	@scripts/check.sh

bench:
	@scripts/bootstrap.sh check
	@$(MAKE) --no-print-directory build
	@bench/run.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/unit/*.c' 'bench/*.c')

clean:
	rm -rf build build-asan bench/out
