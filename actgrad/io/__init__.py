"""Input and output: parsing values (``reader``), the one notion of a number and number text
(``numbers``), writers for the output formats (``writers``) and the progress bar on long input
(``progress``). Imports only the core and the standard library (rich and orjson lazily).
"""
