"""`evaluate`: a run's or an export's metrics on a split or on other data, and its report."""
