"""Whether the browser that started a job is still connected, asked from the job's thread.

Streamlit keeps running a session's background work after its tab closes (the session is
kept a while in case the browser reconnects); a job asks this to end soon after.
"""

from collections.abc import Callable

from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx


def connection_probe() -> Callable[[], bool] | None:
    """A test, safe on any thread, of whether this script's session still has its browser;
    None where there is no server runtime (AppTest, bare `python` runs)."""
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return None
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: runtime.is_active_session(session_id)
