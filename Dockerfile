# optviz: the Streamlit app, CPU build by default.
#
#   docker build -t optviz .
#   docker run --rm -p 8501:8501 optviz
#
# GPU hosts: docker build --build-arg TORCH_INDEX_URL= -t optviz:gpu .  (PyPI's torch,
# the CUDA build) and docker run --gpus all ...  Offline or behind a mirror: pass
# --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=<wheel folder URL>.
FROM python:3.11-slim

# pip reads these from the environment: declared here, they reach every pip install below.
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
# Where torch comes from. PyPI's torch==2.13.0 is the CUDA build (GBs); torch's CPU index
# has 2.13.0+cpu, which pip prefers as the higher version. Empty: PyPI's CUDA build.
# With PIP_NO_INDEX=1 every index is ignored and the wheels come from PIP_FIND_LINKS.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PATH=/opt/venv/bin:$PATH

COPY requirements.txt /tmp/requirements.txt
# One layer, so that what is removed never lands in the image (1.5 GB is the budget):
# the packages' own test suites, torch's C++ test programs and headers, and bytecode
# for modules the app never loads. Pip compiles nothing; the imports below write
# bytecode for what the server and the pages load (about 80 of the 250 MB pip would write).
RUN python -m venv /opt/venv \
    && pip install --no-cache-dir --no-compile --disable-pip-version-check \
        ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} -r /tmp/requirements.txt \
    && site=$(python -c "import sysconfig; print(sysconfig.get_path('purelib'))") \
    && find "$site" -type d -name tests -prune -exec rm -rf {} + \
    && rm -rf "$site/torch/test" "$site/torch/include" "$site"/torch/bin/test_* \
        "$site"/torch/bin/protoc* /tmp/requirements.txt \
    && python -c "import numba, pandas, plotly.graph_objects, plotly.io, torch, \
streamlit.web.bootstrap, streamlit.web.server.server; numba.njit(lambda x: x + 1)(1); \
torch.optim.Adam(torch.nn.Linear(1, 1).parameters()).step()"

# The app runs as an unprivileged user; it may write only its data cache.
RUN useradd --create-home --uid 1000 --user-group app \
    && mkdir -p /home/app/.cache/optviz \
    && chown -R app:app /home/app/.cache

# The optviz package (the library and its web layer ui/) installed as any package is,
# from pyproject.toml: no build isolation, so the venv's own setuptools builds it
# offline; its dependencies are installed above. Its bytecode is compiled here, as the
# app's user cannot write into the venv.
COPY pyproject.toml README.md requirements.txt /tmp/src/
COPY optviz /tmp/src/optviz
COPY ui /tmp/src/ui
RUN pip install --no-cache-dir --no-deps --no-build-isolation --no-compile \
        --disable-pip-version-check /tmp/src \
    && rm -rf /tmp/src \
    && site=$(python -c "import sysconfig; print(sysconfig.get_path('purelib'))") \
    && python -m compileall -q "$site/optviz" "$site/ui"

# The trainer's compiled engine (numba), compiled now for every optimizer into a cache
# the app's user owns (numba writes there too, and looks there for what it loads), so
# that the server's first training run takes it instead of the tensor engine. numba
# keys its cache by the CPU: on a host with another CPU it compiles once more there.
ENV NUMBA_CACHE_DIR=/home/app/.cache/numba
RUN python -m optviz warm && chown -R app:app "$NUMBA_CACHE_DIR"

# Only the entry point, the pages and the Streamlit config live in the app's folder.
WORKDIR /app
COPY .streamlit ./.streamlit
COPY app.py ./
COPY pages ./pages

# The chapter's airfoil data: baked in when the build context has
# docker/data/airfoil_self_noise.dat (gitignored), otherwise downloaded on first use
# into ~/.cache/optviz, as outside a container. BAKE_DATA=yes fails the build without
# the file (for an image that must never download), BAKE_DATA=no ignores it.
ARG BAKE_DATA=auto
COPY docker/data/ /tmp/bake/
RUN set -e; f=/tmp/bake/airfoil_self_noise.dat; \
    case "$BAKE_DATA" in \
      auto|yes) if [ -f "$f" ]; then \
            python -c "import sys; from optviz import data; sys.exit(None if \
data.is_airfoil(open('$f', 'rb').read()) else 'docker/data/$(basename $f): not the airfoil data')"; \
            install -o app -g app -m 644 "$f" /home/app/.cache/optviz/; \
          elif [ "$BAKE_DATA" = yes ]; then \
            echo "BAKE_DATA=yes: docker/data/airfoil_self_noise.dat is not in the build context" >&2; \
            exit 1; \
          fi ;; \
      no) ;; \
      *) echo "BAKE_DATA must be auto, yes or no, not '$BAKE_DATA'" >&2; exit 1 ;; \
    esac; \
    rm -rf /tmp/bake

USER app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# Streamlit reads STREAMLIT_SERVER_PORT itself; the command below never overrides it.
ENV STREAMLIT_SERVER_PORT=8501
EXPOSE 8501
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('STREAMLIT_SERVER_PORT', '8501') + '/_stcore/health', timeout=4)"]
CMD ["streamlit", "run", "app.py"]
