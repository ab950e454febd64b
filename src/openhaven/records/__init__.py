"""Patient records: the model, the synthetic population, ingest, and the record store."""
