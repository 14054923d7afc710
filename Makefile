# icetap — top-level build.  See README.md.
#
#   make            build core library, CLI, unit tests and the nginx module
#   make deps       install (apt, npm) what the build and the tests need
#   make test       deps + build + every suite (.ci/prove -r t/)
#   make asan       the same build with AddressSanitizer, in build-asan/
#   make test-asan  the whole suite under AddressSanitizer
#   make demo       nginx + icetap in front of a local S3 store, a short demo

BUILD     ?= build
SANITIZE  ?=
NGINX_SRC ?= /usr/share/nginx/src

PKGS      = libcurl libcrypto jansson lua5.4 libzstd zlib expat snappy

CC        ?= cc
OPT       ?= -O2
CFLAGS_W  = -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS_SAN = $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer,)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ICETAP_CFLAGS = -std=gnu11 -g $(OPT) -fPIC -D_GNU_SOURCE $(CFLAGS_W) \
                $(CFLAGS_SAN) -Iinclude $(PKG_CFLAGS)
ICETAP_LIBS   = $(PKG_LIBS) -lpthread -lm

CORE_SRCS  = $(sort $(wildcard core/*.c))
CORE_OBJS  = $(CORE_SRCS:core/%.c=$(BUILD)/core/%.o)
CORE_LIB   = $(BUILD)/libicetap.a

TOOL_SRCS  = $(sort $(wildcard tools/icetap*.c))
TOOL_OBJS  = $(TOOL_SRCS:tools/%.c=$(BUILD)/tools/%.o)

UNIT_SRCS  = $(sort $(wildcard t/unit/*.c))
UNIT_BINS  = $(UNIT_SRCS:t/unit/%.c=$(BUILD)/unit/%)

NGX_SRCS   = $(sort $(wildcard ngx_module/*.c ngx_module/*.h \
                               include/icetap/*.h))
MODULE     = $(BUILD)/nginx/ngx_http_icetap_module.so

.PHONY: all core cli unit module deps test test-asan asan demo soak \
        bench clean style check-deps

all: core cli unit module

core: $(CORE_LIB)
cli: $(BUILD)/icetap
unit: $(UNIT_BINS)
module: $(MODULE)

check-deps:
	@.ci/deps.sh --check

$(BUILD)/core/%.o: core/%.c $(wildcard include/icetap/*.h core/*.h) | check-deps
	@mkdir -p $(dir $@)
	$(CC) $(ICETAP_CFLAGS) -Icore -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tools/%.o: tools/%.c $(wildcard include/icetap/*.h tools/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ICETAP_CFLAGS) -c $< -o $@

$(BUILD)/icetap: $(TOOL_OBJS) $(CORE_LIB)
	$(CC) $(CFLAGS_SAN) -o $@ $(TOOL_OBJS) $(CORE_LIB) $(ICETAP_LIBS)

$(BUILD)/unit/%: t/unit/%.c $(wildcard t/unit/*.h) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ICETAP_CFLAGS) -Icore -o $@ $< $(CORE_LIB) $(ICETAP_LIBS)

# nginx's configure runs again only when the module's file list or config
# changes; the module is relinked whenever the core library changes.
$(BUILD)/nginx/srcs.list: FORCE
	@mkdir -p $(dir $@)
	@echo "$(NGX_SRCS) $(SANITIZE)" | cmp -s - $@ || echo "$(NGX_SRCS) $(SANITIZE)" > $@

$(BUILD)/nginx/Makefile: config $(BUILD)/nginx/srcs.list | check-deps
	cd $(NGINX_SRC) && ICETAP_CORE_LIB=$(abspath $(CORE_LIB)) \
	    ICETAP_SANITIZE="$(SANITIZE)" bash -c '. ./conf_flags; \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	    --with-cc-opt="-g -O2 -fPIC $(CFLAGS_SAN)" \
	    --with-ld-opt="-fPIC $(CFLAGS_SAN)" \
	    --add-dynamic-module=$(CURDIR) \
	    --builddir=$(abspath $(BUILD)/nginx)' > $(abspath $(BUILD))/configure.log 2>&1 \
	    || { tail -20 $(abspath $(BUILD))/configure.log; exit 1; }

$(MODULE): $(BUILD)/nginx/Makefile $(NGX_SRCS) $(CORE_LIB)
	@rm -f $@
	$(MAKE) -s -f $(abspath $(BUILD)/nginx/Makefile) -C $(NGINX_SRC) modules

FORCE:

deps:
	@.ci/deps.sh

test: deps
	$(MAKE) all
	$(MAKE) style
	.ci/prove -r t/

asan:
	$(MAKE) BUILD=build-asan SANITIZE=address OPT=-O1 all

test-asan: deps asan
	ICETAP_BUILD=build-asan .ci/prove -r t/

style:
	@perl .ci/style.pl ngx_module core include tools t/unit

demo: deps
	$(MAKE) all
	@tools/demo.sh

soak: deps
	$(MAKE) all
	ICETAP_SOAK=1 .ci/prove -r t/

bench: deps
	$(MAKE) all
	@for b in bench/*/run; do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf build build-asan
