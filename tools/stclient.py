"""A light Streamlit client: one browser tab's session over the websocket, no browser.

It speaks Streamlit 1.67's protocol with the protobuf classes Streamlit ships:

- GET the page once, as a browser does, for the `_streamlit_xsrf` cookie; then open
  `/_stcore/stream` with the subprotocols ("streamlit", that cookie's value), the
  cookie and a same-origin Origin header (what the server checks with XSRF on).
- Every run is a BackMsg `rerun_script` (ClientState): the query string, the page (its
  URL path as `page_name`, e.g. "explorer"; "" is the default page) and the widget
  values this client has set. The server answers with ForwardMsgs: `new_session` when
  a run starts, `navigation` (the page st.navigation ran: its hash goes with the next
  rerun), `delta`s (elements at a `delta_path`), `page_info_changed` (the URL's query
  string as the app rewrote it), then `script_finished` and `session_status_changed`
  (not running) when it ends. Bound widgets write the URL in the browser, not here.

    with Session("http://127.0.0.1:8501") as s:
        run = s.open("explorer", "steps=abc")
        run.warnings, run.exceptions, run.finished
        run = s.set_widget("steps", 50)
        run = s.click("sweep_start")
        run = s.set_state("chart", "commit", {"param": "beta1", "value": 0.5})

A components-v2 element (st.components.v2) is a widget too: its state is one JSON
object, the `json_value` of its WidgetState (id: the element's, e.g. "$$ID-…-chart").
The browser's `setStateValue(name, value)` sends the state it had with `name` set, and
so does `set_state`.

A run that raises shows as an `exception` element; with `client.showErrorDetails` off
its message is Streamlit's generic one, so `Run.exceptions` is the test, not the text.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.Exception_pb2 import Exception as ExceptionProto
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.sync.client import connect

XSRF_COOKIE = "_streamlit_xsrf"
ALERT_KINDS = {Alert.ERROR: "error", Alert.WARNING: "warning", Alert.INFO: "info",
               Alert.SUCCESS: "success"}
# Element types whose proto has a `body` a reader sees as text.
TEXT_BODIES = ("markdown", "heading", "alert", "text", "toast")
# Widget element types and the WidgetState field the browser fills for each.
VALUE_FIELD = {
    "checkbox": "bool_value", "button": "trigger_value", "download_button": "trigger_value",
    "number_input": "double_value", "slider": "double_array_value",
    "selectbox": "string_value", "radio": "string_value", "text_input": "string_value",
    "text_area": "string_value", "color_picker": "string_value",
    "multiselect": "string_array_value", "button_group": "string_array_value",
}
COMPONENT = "bidi_component"  # st.components.v2: its state is a json_value (set_state)


class ProtocolError(RuntimeError):
    """The server did not answer as Streamlit does (or not within the timeout)."""


@dataclass
class Widget:
    id: str
    kind: str  # the element type: "number_input", "selectbox", ...
    proto: Any  # the widget's element proto (label, options, min/max...)
    fragment_id: str = ""  # the st.fragment it was drawn in: a change reruns only that


@dataclass
class Run:
    """What one script run drew, as the browser would show it after the run."""

    page_name: str
    query_sent: str
    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)
    fragments: dict[tuple[int, ...], str] = field(default_factory=dict)  # path -> fragment id
    query_string: str | None = None  # the URL's query after the run, if the app changed it
    finished: bool = False  # script_finished arrived, successfully
    compile_error: ExceptionProto | None = None  # the script could not even start
    page_not_found: bool = False
    seconds: float = 0.0

    def of_type(self, kind: str) -> list[Any]:
        """The protos of every element of one type ("alert", "markdown"...), in page order."""
        return [getattr(e, kind) for _, e in sorted(self.elements.items())
                if e.WhichOneof("type") == kind]

    def alerts(self, kind: str) -> list[str]:
        """Bodies of st.error / st.warning / st.info / st.success ("error", ...)."""
        return [a.body for a in self.of_type("alert") if ALERT_KINDS.get(a.format) == kind]

    @property
    def errors(self) -> list[str]:
        return self.alerts("error")

    @property
    def warnings(self) -> list[str]:
        return self.alerts("warning")

    @property
    def exceptions(self) -> list[ExceptionProto]:
        """Uncaught exceptions shown on the page, a failed start included."""
        shown = self.of_type("exception")
        return shown + ([self.compile_error] if self.compile_error is not None else [])

    @property
    def markdown(self) -> list[str]:
        return [m.body for m in self.of_type("markdown")]

    @property
    def text(self) -> str:
        """Every piece of prose on the page, one per line (no figures or tables)."""
        parts = []
        for _, e in sorted(self.elements.items()):
            kind = e.WhichOneof("type")
            proto = getattr(e, kind) if kind else None
            if kind in TEXT_BODIES:
                parts.append(proto.body)
            elif kind == "exception":
                parts += [proto.type, proto.message, *proto.stack_trace]
            elif kind == "code":
                parts.append(proto.code_text)
            elif kind in VALUE_FIELD or kind == "file_uploader":
                parts.append(proto.label)
        return "\n".join(parts)

    @property
    def widgets(self) -> dict[str, Widget]:
        """The keyed widgets on the page, by their user key."""
        found = {}
        for path, e in self.elements.items():
            kind = e.WhichOneof("type")
            proto = getattr(e, kind) if kind else None
            element_id = getattr(proto, "id", "")
            if element_id.startswith("$$ID-"):
                key = element_id.split("-", 2)[2]
                if key != "None":
                    found[key] = Widget(element_id, kind, proto, self.fragments.get(path, ""))
        return found

    @property
    def ok(self) -> bool:
        """Ran to the end without an exception."""
        return self.finished and not self.exceptions and not self.page_not_found


class Session:
    """One browser tab: a websocket session on a running Streamlit server."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.page_name = ""
        self.page_script_hash = ""
        self.query_string = ""
        self.last: Run | None = None
        self.auto_reruns: dict[str, float] = {}  # fragment id -> interval (run_every)
        self._values: dict[str, WidgetState] = {}  # widget id -> the value this client set
        self._exit = contextlib.ExitStack()
        self._ws = self._exit.enter_context(self._connect())

    def _connect(self):
        parts = urllib.parse.urlsplit(self.base_url)
        cookie = ""
        with urllib.request.urlopen(self.base_url + "/", timeout=self.timeout) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                if name.strip() == XSRF_COOKIE:
                    cookie = rest.split(";", 1)[0]
        scheme = "wss" if parts.scheme == "https" else "ws"
        headers = {"Cookie": f"{XSRF_COOKIE}={cookie}"} if cookie else {}
        return connect(
            f"{scheme}://{parts.netloc}{parts.path}/_stcore/stream",
            subprotocols=["streamlit", cookie] if cookie else ["streamlit"],
            origin=f"{parts.scheme}://{parts.netloc}", additional_headers=headers,
            open_timeout=self.timeout, max_size=None, compression=None, legacy=False)

    # ------------------------------------------------------------------ actions

    def open(self, page: str = "", query: str = "") -> Run:
        """Open a page ("" = the default, "explorer"...) at `?query`, as a link would.

        Widget values set on another page are dropped. On the page already open this is
        a browser history navigation: the URL, not the widgets' last values, decides.
        """
        same = page == self.page_name and self.last is not None
        if not same:
            self._values.clear()
            self.page_script_hash = ""
        self.page_name = page
        self.query_string = query.removeprefix("?")
        return self._run(history=same)

    def rerun(self, query: str | None = None) -> Run:
        """Rerun the page as a widget change would, optionally with a new query string."""
        if query is not None:
            self.query_string = query.removeprefix("?")
        return self._run()

    def set_widget(self, key: str, value: Any) -> Run:
        """Give the widget with user key `key` a value, as a user would, and rerun.

        Choices (selectbox, radio, multiselect) take their labels as shown."""
        widget = self._widget(key)
        state = WidgetState(id=widget.id)
        value_field = VALUE_FIELD.get(widget.kind)
        if value_field is None:
            raise ValueError(f"{key!r} is a {widget.kind}; this client can't set that")
        if widget.kind == "number_input" and widget.proto.data_type == NumberInput.INT:
            state.int_value = int(value)
        elif value_field.endswith("_array_value"):
            values = value if isinstance(value, list | tuple) else [value]
            getattr(state, value_field).data.extend(values)
        else:
            setattr(state, value_field, value)
        self._values[widget.id] = state
        return self._run(fragment_id=widget.fragment_id)

    def set_state(self, key: str, name: str, value: Any) -> Run:
        """Set state value `name` of the component with user key `key`, as its script's
        `setStateValue(name, value)` does in a browser, and rerun. JSON-able values only."""
        widget = self._widget(key)
        if widget.kind != COMPONENT:
            raise ValueError(f"{key!r} is a {widget.kind}, not a component")
        previous = self._values.get(widget.id)
        state = json.loads(previous.json_value) if previous is not None else {}
        state[name] = value
        self._values[widget.id] = WidgetState(id=widget.id, json_value=json.dumps(state))
        return self._run(fragment_id=widget.fragment_id)

    def click(self, key: str) -> Run:
        """Press the button with user key `key` (sent once, like a click)."""
        widget = self._widget(key)
        self._values[widget.id] = WidgetState(id=widget.id, trigger_value=True)
        try:
            return self._run(fragment_id=widget.fragment_id)
        finally:
            self._values.pop(widget.id, None)

    def run_fragment(self, fragment_id: str) -> Run:
        """Rerun one fragment (what the browser does every `run_every` seconds)."""
        return self._run(fragment_id=fragment_id, auto=True)

    def health(self) -> bool:
        """Whether the server answers its health check."""
        try:
            with urllib.request.urlopen(self.base_url + "/_stcore/health", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    def close(self) -> None:
        self._exit.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- protocol

    def _widget(self, key: str) -> Widget:
        widgets = self.last.widgets if self.last else {}
        if key not in widgets:
            raise KeyError(f"no widget with key {key!r} on the page; keys: {sorted(widgets)}")
        return widgets[key]

    def _run(self, history: bool = False, fragment_id: str = "", auto: bool = False) -> Run:
        """Send one rerun request; `fragment_id`: rerun that fragment alone (as a widget
        drawn inside it does; `auto`: as its `run_every` timer does)."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.page_name = self.page_name
        state.page_script_hash = self.page_script_hash
        state.is_history_navigation = history
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        state.widget_states.widgets.extend(self._values.values())
        state.context_info.url = (f"{self.base_url}/{self.page_name}"
                                  + (f"?{self.query_string}" if self.query_string else ""))
        run = Run(self.page_name, self.query_string)
        if fragment_id and self.last is not None:
            run.elements = dict(self.last.elements)  # a fragment redraws only its part
            run.fragments = dict(self.last.fragments)
        start = time.monotonic()
        self._ws.send(msg.SerializeToString())
        self._receive(run, start + self.timeout, fragment=bool(fragment_id))
        run.seconds = time.monotonic() - start
        if run.query_string is not None:
            self.query_string = run.query_string
        self.last = run
        return run

    def _receive(self, run: Run, deadline: float, fragment: bool) -> None:
        ended = False  # a terminal script_finished arrived; wait for "not running"
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError(f"no end of run within {self.timeout:.0f} s "
                                    f"(page {run.page_name!r}, query {run.query_sent[:80]!r})")
            try:
                raw = self._ws.recv(timeout=left)
            except TimeoutError:
                continue
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                if not fragment:
                    run.elements.clear()
                    self.auto_reruns.clear()
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                run.elements[tuple(msg.metadata.delta_path)] = msg.delta.new_element
                run.fragments[tuple(msg.metadata.delta_path)] = msg.delta.fragment_id
            elif kind == "navigation":  # st.navigation's choice: the page that ran
                self.page_script_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                run.query_string = msg.page_info_changed.query_string
            elif kind == "page_not_found":
                run.page_not_found = True
            elif kind == "auto_rerun":
                self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            elif kind == "session_event" and msg.session_event.HasField(
                    "script_compilation_exception"):
                run.compile_error = msg.session_event.script_compilation_exception
            elif kind == "script_finished":
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    ended = True
                elif status == ForwardMsg.FINISHED_SUCCESSFULLY or (
                        fragment and status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                    run.finished = ended = True
            elif (kind == "session_status_changed" and ended
                  and not msg.session_status_changed.script_is_running):
                if run.finished or run.compile_error is not None:
                    return
            elif kind == "ref_hash":
                raise ProtocolError("got a cached-message reference; this client caches none")
