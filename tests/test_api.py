import sinorus


def test_all_is_exactly_the_public_api():
    public = {n for n in dir(sinorus) if not n.startswith("_")}
    modules = {"chunks", "cli", "config", "documents", "embeddings", "errors", "evaluation", "heads", "model",
               "records", "training", "writers"}
    assert set(sinorus.__all__) - {"__version__"} == public - modules


def test_errors_share_one_base():
    for name in ("ConfigError", "DocumentError", "DataError", "ModelLoadError", "UnsafeModelError",
                 "BodyMismatchError", "BodyUnavailableError"):
        assert issubclass(getattr(sinorus, name), sinorus.SinorusError)
