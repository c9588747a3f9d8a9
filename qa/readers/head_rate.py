"""A learning rate of its own for the weights a reader adds to its pretrained encoder.

transformers' `Trainer` gives every parameter one learning rate and has no option for a head's;
`HeadRateTrainer` keeps the stock optimizer (its class, settings and weight-decay split) and only
splits its parameter groups, so the scheduler, which scales each group's own rate, is unchanged.
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


def split_head_groups(groups: list[dict[str, Any]], head_ids: set[int], learning_rate: float) -> list[dict[str, Any]]:
    """Optimizer parameter groups with the head's parameters moved into groups of their own at `learning_rate`.

    :param groups: the Trainer's groups (weight decay on / off); their other settings are kept.
    :param head_ids: `head_parameter_ids` of the model.
    :param learning_rate: the head's rate (the scheduler scales it as it scales the others).
    """
    split: list[dict[str, Any]] = []
    for group in groups:
        encoder = [p for p in group["params"] if id(p) not in head_ids]
        head = [p for p in group["params"] if id(p) in head_ids]
        if encoder:
            split.append({**group, "params": encoder})
        if head:
            split.append({**group, "params": head, "lr": learning_rate})
    return split


class HeadRateTrainer(Trainer):
    """transformers' `Trainer` whose optimizer gives the weights outside the encoder `multiplier` x the rate.

    :param multiplier: the head's learning rate over `args.learning_rate` (1 = the stock optimizer).
    :param kwargs: passed on to `Trainer`.
    """

    def __init__(self, multiplier: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiplier = multiplier

    def create_optimizer(self, model: Any = None) -> Any:
        """The stock optimizer, its head parameters regrouped at `multiplier` x the learning rate."""
        optimizer = super().create_optimizer(model)
        if self.multiplier != 1.0:
            opt_model: Any = self.model if model is None else model
            groups = split_head_groups(
                optimizer.param_groups, head_parameter_ids(opt_model), self.args.learning_rate * self.multiplier
            )
            optimizer_class, optimizer_kwargs = self.get_optimizer_cls_and_kwargs(self.args, opt_model)
            self.optimizer = optimizer_class(groups, **optimizer_kwargs)
        return self.optimizer
