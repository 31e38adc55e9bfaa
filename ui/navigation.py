"""Routing every page through app.py's `st.navigation`, also on a deep link.

Streamlit 1.67 starts in its legacy multipage mode when the folder beside the entry
point is named `pages/`: a deep link (e.g. /explorer) as the first visit after the
server starts runs the page file alone, without app.py. `page_setup()`, called first
in every page, leaves that mode and reruns, so app.py's navigation then routes to the
page properly. It reads one private Streamlit flag (`PagesManager.uses_pages_directory`,
checked on 1.67.0); this is the only place that does.
"""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def page_setup() -> None:
    """Call first in every page (see the module's doc)."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
