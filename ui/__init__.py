"""The app's user interface: bilingual text, levers, cached ensembles, tables and charts."""
