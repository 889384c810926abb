# covaction's container. The runner builds this on every job that uses the action (contract
# A.1), so it stays small: the official slim Python image pinned by digest, dependencies from
# the hashed lock file (the same install as the README's), and the package's own files.
# No USER (the runner mounts the workspace for root) and no reliance on WORKDIR (the runner
# sets /github/workspace as the working directory).

# python:3.12.14-slim (Debian trixie)
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# git: tracked files and `git diff` for diff-base; nothing else from apt.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/*

COPY requirements.txt /app/requirements.txt
RUN pip install --require-hashes --only-binary=:all: -r /app/requirements.txt

# The package is not pip-installed (that would fetch an unhashed build backend): entrypoint.py
# puts its own directory, /app, on sys.path.
COPY entrypoint.py /app/entrypoint.py
COPY covaction /app/covaction

# -I: isolated mode. The workspace (the pull request's files) is the working directory; -I keeps
# it, PYTHONPATH and user site-packages off sys.path, so nothing from the workspace is imported.
ENTRYPOINT ["python", "-I", "/app/entrypoint.py"]
