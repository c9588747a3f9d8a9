"""An exponential moving average of the weights during training, saved instead of the last step's.

transformers' `Trainer` has no weight averaging, so a callback keeps one with torch's own
`torch.optim.swa_utils.AveragedModel` (EMA update from `get_ema_multi_avg_fn`) and copies the
average into the trained model when training ends, before the reader is saved.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from transformers import TrainerCallback


class WeightAverage(TrainerCallback):
    """Keep an exponential moving average of a model's parameters, one update per optimiser step.

    :param decay: weight of the average so far at each step, in [0, 1): 0.975 averages about the last
        40 steps (1 / (1 - decay)); larger is smoother and lags further behind the last step.
    """

    def __init__(self, decay: float) -> None:
        self.decay = float(decay)  # checked once, in `TrainingConfig`
        self._average: AveragedModel | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        """Prepare the average (its first update copies the first step's weights)."""
        self._average = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(self.decay))

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        """Fold this step's weights into the average."""
        if self._average is not None:
            self._average.update_parameters(model)

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        """Give the model the averaged weights (its buffers stay as trained)."""
        if self._average is None:
            return
        with torch.no_grad():
            for averaged, trained in zip(self._average.module.parameters(), model.parameters(), strict=True):
                trained.copy_(averaged)
        self._average = None
