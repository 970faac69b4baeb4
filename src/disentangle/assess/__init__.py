"""Facts + knowledge -> scorecards, validity flags and conflicts, each with its evidence and rule."""
