"""Streamlit helpers shared by the pages (the optviz library itself never imports Streamlit)."""
