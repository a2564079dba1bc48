"""Serve: what analysts and the public read from the warehouse (data dictionary; indicators, exports, report).

Stage 5 of the flow.
"""
