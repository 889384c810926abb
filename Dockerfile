# covaction's container. Released versions do not build it on the runner: the release workflow
# (.github/workflows/release.yml) builds it once for linux/amd64 and linux/arm64, and the release
# commit's action.yml names the pushed image by digest. The main branch, forks and local builds
# build it (the runner does so on every job that uses the action: actions/runner,
# ContainerActionHandler), so it stays small and installs nothing unpinned: the base image by
# digest, every Debian package at an exact version (checked after the install), Python packages
# from the hash-locked requirements.txt, and the package's own files. No USER (the runner mounts
# the workspace for root) and no reliance on WORKDIR (the runner sets /github/workspace as the
# working directory).

# python:3.12.14-slim (Debian trixie)
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# bash for pipefail and the package check below (bash is part of the base image).
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# git (tracked files, and `git diff` for diff-base) and every package apt installs with it on this
# base, each at an exact version. Pinning git alone would leave its 32 dependencies (curl, GnuTLS,
# Kerberos, Perl...) to whatever Debian serves on the day of the build. The list is what
#   apt-get install --simulate --no-install-recommends git
# resolved for Debian 13.8 (trixie, trixie-security) on 2026-12-07, identical for amd64 and arm64.
# perl-base is an upgrade of the base image's copy: perl depends on its exact version.
#
# Debian keeps one version per suite. When a point or security release supersedes a pin, the
# first install fails and the same signed packages are taken from snapshot.debian.org's copy of
# the archive at SNAPSHOT (a time when every pin was current). After the install, a package that
# apt added or changed beyond this list, or removed, fails the build: drift is never silent.
# To update: run the command above in the base image, copy its versions here, set SNAPSHOT to now.
RUN set -eux; \
    SNAPSHOT=20261207T180000Z; \
    pins=( \
      git=1:2.47.3-0+deb13u1 \
      git-man=1:2.47.3-0+deb13u1 \
      libbrotli1=1.1.0-2+deb13u1 \
      libcom-err2=1.47.2-3+b12 \
      libcurl3t64-gnutls=8.14.1-2+deb13u7 \
      liberror-perl=0.17030-1 \
      libexpat1=2.9.0-1~deb13u1 \
      libgdbm-compat4t64=1.24-2 \
      libgdbm6t64=1.24-2 \
      libgnutls30t64=3.8.9-3+deb13u4 \
      libgssapi-krb5-2=1.21.3-5+deb13u2 \
      libidn2-0=2.3.8-2 \
      libk5crypto3=1.21.3-5+deb13u2 \
      libkeyutils1=1.6.3-6 \
      libkrb5-3=1.21.3-5+deb13u2 \
      libkrb5support0=1.21.3-5+deb13u2 \
      libldap2=2.6.10+dfsg-1 \
      libnghttp2-14=1.64.0-1.1+deb13u2 \
      libnghttp3-9=1.8.0-1 \
      libngtcp2-16=1.11.0-1+deb13u1 \
      libngtcp2-crypto-gnutls8=1.11.0-1+deb13u1 \
      libp11-kit0=0.25.5-3 \
      libperl5.40=5.40.1-6+deb13u1 \
      libpsl5t64=0.21.2-1.1+b1 \
      librtmp1=2.4+20151223.gitfa8646d.1-2+b5 \
      libsasl2-2=2.1.28+dfsg1-9 \
      libsasl2-modules-db=2.1.28+dfsg1-9 \
      libssh2-1t64=1.11.1-1+deb13u2 \
      libtasn1-6=4.20.0-2+deb13u1 \
      libunistring5=1.3-2 \
      perl=5.40.1-6+deb13u1 \
      perl-base=5.40.1-6+deb13u1 \
      perl-modules-5.40=5.40.1-6+deb13u1 \
    ); \
    installed() { dpkg-query -W -f='${db:Status-Status} ${Package}=${Version}\n' \
                  | awk '$1 == "installed" { print $2 }' | LC_ALL=C sort; }; \
    installed >/tmp/dpkg-before; \
    apt-get update; \
    if ! apt-get install -y --no-install-recommends "${pins[@]}"; then \
      echo "A pinned version has left Debian's archive; installing from snapshot.debian.org at $SNAPSHOT." >&2; \
      keyring=/usr/share/keyrings/debian-archive-keyring.pgp; \
      { echo "deb [signed-by=$keyring check-valid-until=no] http://snapshot.debian.org/archive/debian/$SNAPSHOT trixie main"; \
        echo "deb [signed-by=$keyring check-valid-until=no] http://snapshot.debian.org/archive/debian-security/$SNAPSHOT trixie-security main"; \
      } >/etc/apt/sources.list.d/covaction-snapshot.list; \
      apt-get update; \
      apt-get install -y --no-install-recommends "${pins[@]}"; \
      rm /etc/apt/sources.list.d/covaction-snapshot.list; \
    fi; \
    installed >/tmp/dpkg-after; \
    unpinned="$(LC_ALL=C comm -13 /tmp/dpkg-before /tmp/dpkg-after | grep -vxF -f <(printf '%s\n' "${pins[@]}") || true)"; \
    names() { cut -d= -f1 "$1" | LC_ALL=C sort; }; \
    removed="$(LC_ALL=C comm -23 <(names /tmp/dpkg-before) <(names /tmp/dpkg-after))"; \
    if [ -n "$unpinned$removed" ]; then \
      echo "Not in the pinned list: installed or changed: ${unpinned:-none}; removed: ${removed:-none}" >&2; \
      exit 1; \
    fi; \
    rm /tmp/dpkg-before /tmp/dpkg-after; \
    apt-get dist-clean

# Hashed, binary-only installs: every distribution and its hash is in requirements.txt, and pip
# (the base image's own, so pinned by its digest) refuses anything else.
COPY requirements.txt /app/requirements.txt
RUN pip install --require-hashes --only-binary=:all: -r /app/requirements.txt

# The package is not pip-installed (that would fetch an unhashed build backend): entrypoint.py
# puts its own directory, /app, on sys.path.
COPY entrypoint.py /app/entrypoint.py
COPY covaction /app/covaction

# Compiled once here rather than at the start of every run (about 0.1 s CPU for the modules and
# 0.07 s for the templates, of a small run's 0.4 s): the modules' bytecode, hash-based and not
# checked against the sources (an image's files never change, and no build time ends up in the
# bytes), and the templates into Jinja's bytecode cache, which a run only reads and which
# recompiles any template whose source does not match (`markdown.compile_templates`).
RUN python -I -m compileall -q --invalidation-mode unchecked-hash /app/covaction \
    && python -I -c 'import sys; sys.path.insert(0, "/app"); from covaction.render import markdown; markdown.compile_templates()'

# -I: isolated mode. The workspace (the pull request's files) is the working directory; -I keeps
# it, PYTHONPATH and user site-packages off sys.path, so nothing from the workspace is imported.
ENTRYPOINT ["python", "-I", "/app/entrypoint.py"]
