"""The Keras config round trip shared by layers, losses, optimizers and initializers."""


class Configurable:
    """``from_config(get_config())`` rebuilds an equal object; ``repr`` shows the config.

    Subclasses define ``get_config()`` returning their constructor's keyword
    arguments.
    """

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def serialized(self, module):
        """Keras 3's serialized form, as ``<module>.serialize`` returns it."""
        return {"module": module, "class_name": type(self).__name__,
                "config": self.get_config(), "registered_name": None}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
