"""Standardise: grids from a source become tidy records with official region codes and canonical periods.

Stage 2 of the flow. `records` builds the records and the total rows; `reference` holds the region codes
(Kemendagri and BPS); `periode` reads Indonesian period labels; `attribution` decides whose region a row is.
"""
