"""Dashboard panel of a certificateur: the oversight headline figures, linking to the page."""
