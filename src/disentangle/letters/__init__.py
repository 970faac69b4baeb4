"""Public-records requests with their deadlines, follow-ups, termination letters and resolutions."""
