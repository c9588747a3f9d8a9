"""A learning rate of its own for the weights a reader adds to its pretrained encoder.

transformers' `Trainer` gives every parameter one learning rate and has no option for a head's;
`HeadRateTrainer` keeps the stock optimizer (its class, settings and weight-decay split) and only
moves the head's parameters into groups of their own, so the scheduler, which scales each group's
own rate, is unchanged.
"""

from __future__ import annotations

from typing import Any

from transformers import Trainer

from qa.readers.wrapper import reader_model


def head_parameter_ids(trained: Any) -> set[int]:
    """Ids of the trainable parameters outside the pretrained encoder: the span head and any extra head.

    :param trained: the model the Trainer optimises (`_training_model`): a question-answering model,
        or a training wrapper around one.
    """
    encoder = {id(p) for p in reader_model(trained).base_model.parameters()}
    return {id(p) for p in trained.parameters() if p.requires_grad and id(p) not in encoder}


class HeadRateTrainer(Trainer):
    """transformers' `Trainer` whose optimizer gives the weights outside the encoder `multiplier` x the rate.

    :param multiplier: the head's learning rate over `args.learning_rate` (1 = the stock optimizer).
    :param kwargs: passed on to `Trainer`.
    """

    def __init__(self, multiplier: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiplier = multiplier

    def create_optimizer(self, model: Any = None) -> Any:
        """The stock optimizer, with the head's parameters moved into groups of their own at `multiplier` x the rate."""
        optimizer = super().create_optimizer(model)
        if self.multiplier != 1.0:
            head_ids = head_parameter_ids(self.model if model is None else model)
            for group in list(optimizer.param_groups):  # weight decay on / off: each keeps its settings
                head = [p for p in group["params"] if id(p) in head_ids]
                group["params"] = [p for p in group["params"] if id(p) not in head_ids]
                if head:
                    optimizer.add_param_group(
                        {**group, "params": head, "lr": self.args.learning_rate * self.multiplier}
                    )
        return optimizer
