"""The sequence learner: RNN, LSTM, GRU and transformer models on the generated sequence tasks.

One step is one batch of whole sequences, through torch's fused recurrent modules; with
seq.bptt set, backpropagation through time is truncated to windows of that many steps (the state
is carried on, detached, from window to window; the gradients of the windows add up to one
update). Loss and accuracy count the scored steps only (copy: the recall step).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from playground.config import DatasetName, RunConfig, Schedule, Task
from playground.data.sequences import SeqDataset, make_sequences
from playground.explain import sequence_probes as sp
from playground.nn.engine import make_optimizer, scheduled_lr
from playground.nn.model import LOSSES
from playground.nn.modes import eval_mode
from playground.nn.sequence_model import Recurrent, State, TransformerBlock, build_sequence_model
from playground.train import sequence_requests
from playground.train.learner import ModelLearner, RequestError
from playground.train.runinfo import RunInfo, frozen
from playground.train.supervised import resolve_device

EVAL_BATCH = 256  # sequences per forward pass when measuring a whole set
EXAMPLES = 4  # test sequences shown with their predictions
SAMPLE_EVERY = 10  # probes calls between two fresh text samples (about once a second)


def sequence_learner(
    cfg: RunConfig,
    *,
    dataset: SeqDataset | None = None,
    with_probes: bool = True,
    grid_resolution: int = 100,
    initial_state: dict[str, torch.Tensor] | None = None,
) -> Callable[[], SequenceLearner]:
    """The Trainer's learner factory for cfg: the data is made once, the model on every Reset."""
    data = dataset if dataset is not None else make_sequences(cfg.data, cfg.seq)
    device = resolve_device(cfg.train.device)
    return lambda: SequenceLearner(
        cfg, data, device, with_probes=with_probes, initial_state=initial_state
    )


learner = sequence_learner  # the name train/kinds.py looks for


class SequenceLearner(ModelLearner):
    """Sequences in, an output at every step, trained on the scored steps (its weights'
    checkpoint, restore and loading: ModelLearner's)."""

    def __init__(
        self,
        cfg: RunConfig,
        data: SeqDataset,
        device: torch.device,
        *,
        with_probes: bool = True,
        initial_state: dict[str, torch.Tensor] | None = None,
    ) -> None:
        self.cfg, self.data, self.device, self.with_probes = cfg, data, device, with_probes
        self.loss_fn = LOSSES[cfg.train.loss]
        features = 0 if data.is_tokens else int(data.X_train.shape[2])
        out_units = data.vocab if data.is_tokens else 1
        self.model = build_sequence_model(
            cfg.model, data.vocab, features, out_units, cfg.train.seed
        )
        if initial_state is not None:
            self.model.load_state_dict(initial_state)
        self.model.to(device).train()
        self.optimizer = make_optimizer(self.model, cfg.train)
        self.X_train, self.Y_train = data.X_train.to(device), data.Y_train.to(device)
        self.X_test, self.Y_test = data.X_test.to(device), data.Y_test.to(device)
        self._batch_gen = torch.Generator().manual_seed(cfg.train.seed)
        self._pos = self.X_train.shape[0]
        self._grad_norm = math.nan
        self._measure_next = True
        self.names = tuple(f"{k.value} {i + 1}" for i, k in enumerate(self.model.kinds))
        self.selected = (0, _default_layer(self.model))
        self._sample, self._probe_calls = "", 0
        self.info = self._run_info()

    def _run_info(self) -> RunInfo:
        d = self.data
        return RunInfo(
            config=self.cfg, kind="sequence",
            task=Task.CLASSIFICATION if d.is_tokens else Task.REGRESSION,
            n_classes=d.vocab, feature_names=d.symbols, input_shape=(d.steps,),
            output_units=d.vocab or 1, layer_names=(*self.names, "output"),
            n_train=int(d.X_train.shape[0]), n_test=int(d.X_test.shape[0]),
            y_train=frozen(d.Y_train), y_test=frozen(d.Y_test), device=self.device.type,
        )  # fmt: skip

    # ---- training ---------------------------------------------------------------------------

    @property
    def history_columns(self) -> tuple[str, ...]:
        return ("step", "epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                "sequence_accuracy", "lr", "grad_norm")  # fmt: skip

    def scored_loss(self, out: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """The loss over the scored steps of outputs (N, T, K) against targets (N, T)."""
        mask = self.data.mask(Y)
        if self.data.is_tokens:
            return self.loss_fn(out[mask], Y[mask])
        return self.loss_fn(out[mask], Y[mask][:, None])

    def train_step(self) -> bool:
        tc, n = self.cfg.train, self.X_train.shape[0]
        if self._pos >= n:  # a new epoch: reshuffle once, then slice views
            perm = torch.randperm(n, generator=self._batch_gen).to(self.device)
            self._Xp, self._Yp, self._pos = self.X_train[perm], self.Y_train[perm], 0
        start = self._pos
        end = self._pos = min(start + tc.batch_size, n)
        if tc.schedule != Schedule.CONSTANT:
            for group in self.optimizer.param_groups:
                group["lr"] = scheduled_lr(tc, self.step_count)
        xb, yb = self._Xp[start:end], self._Yp[start:end]
        self.optimizer.zero_grad(set_to_none=False)
        bptt = self.cfg.seq.bptt
        if bptt and bptt < xb.shape[1]:
            self._truncated_backward(xb, yb, bptt)
        else:
            self.scored_loss(self.model(xb), yb).backward()
        if tc.grad_clip or self._measure_next:
            norm = nn.utils.clip_grad_norm_(self.model.parameters(), tc.grad_clip or math.inf)
            self._grad_norm, self._measure_next = float(norm), False
        self.optimizer.step()
        self.step_count += 1
        if self._pos >= n:
            self.epoch += 1
            return True
        return False

    def _truncated_backward(self, xb: torch.Tensor, yb: torch.Tensor, bptt: int) -> None:
        """Backward window by window; each window's loss is weighted by its share of the
        scored steps, so the gradients add up to those of the batch's mean loss."""
        total = int(self.data.mask(yb).sum())
        states: list[State] | None = None
        for t0 in range(0, xb.shape[1], bptt):
            xw, yw = xb[:, t0 : t0 + bptt], yb[:, t0 : t0 + bptt]
            out, states = self.model.forward_state(xw, states)
            states = [_detach(s) for s in states]
            scored = int(self.data.mask(yw).sum())
            if scored:
                (self.scored_loss(out, yw) * (scored / total)).backward()

    def measure(self, X: torch.Tensor, Y: torch.Tensor) -> tuple[float, float, float]:
        """Loss, step accuracy and sequence accuracy over a whole set (accuracies nan for
        sine), in eval mode and in batches."""
        loss_sum = right = scored = seqs_right = 0.0
        with eval_mode(self.model), torch.no_grad():
            for i in range(0, X.shape[0], EVAL_BATCH):
                xb, yb = X[i : i + EVAL_BATCH], Y[i : i + EVAL_BATCH]
                out, mask = self.model(xb), self.data.mask(yb)
                k = int(mask.sum())
                loss_sum += float(self.scored_loss(out, yb)) * k
                scored += k
                if self.data.is_tokens:
                    hit = (out.argmax(dim=2) == yb) | ~mask
                    right += float((hit & mask).sum())
                    seqs_right += float(hit.all(dim=1).sum())
        if not self.data.is_tokens:
            return loss_sum / scored, math.nan, math.nan
        return loss_sum / scored, right / scored, seqs_right / X.shape[0]

    def evaluate(self) -> dict[str, float]:
        tr_loss, tr_acc, _ = self.measure(self.X_train, self.Y_train)
        te_loss, te_acc, te_seq = self.measure(self.X_test, self.Y_test)
        self._measure_next = True
        values = [self.step_count, self.epoch, tr_loss, te_loss, tr_acc, te_acc, te_seq, self.lr,
                  self._grad_norm]  # fmt: skip
        return dict(zip(self.history_columns, values))

    # ---- probes and requests ----------------------------------------------------------------

    def internals(self, index: int, layer: int) -> dict[str, Any]:
        """The selected layer's internals on test sequence `index` (see sequence_probes)."""
        x, y = self.X_test[index], self.Y_test[index]
        out = sp.internals(self.model, x, y, layer, self.loss_fn, self.data.is_tokens)
        return out | {"sequence_index": index, "hidden_layer": layer}

    def probes(self) -> dict[str, Any]:
        """Examples with predictions, the selected sequence's internals, and (text) a sample."""
        if not self.with_probes:
            return {}
        extra = self.internals(*self.selected) if len(self.model.blocks) else {}
        extra["examples"] = sequence_requests.examples(self, range(min(EXAMPLES, len(self.X_test))))
        if self.data.name == DatasetName.TEXT:
            if self._probe_calls % SAMPLE_EVERY == 0:
                self._sample = sequence_requests.sample_text(self)
            self._probe_calls += 1
        extra["sample"] = self._sample
        return extra

    def answer(self, name: str, **kwargs: Any) -> Any:
        handler = sequence_requests.REQUESTS.get(name)
        if handler is None:
            names = ", ".join(sorted(sequence_requests.REQUESTS))
            raise RequestError(f"no request named {name!r}; there are: {names}")
        return handler(self, **kwargs)


def _default_layer(model: nn.Module) -> int:
    """The first recurrent layer, else the first transformer, else the first layer."""
    blocks = list(model.blocks)
    for kind in (Recurrent, TransformerBlock):
        for i, b in enumerate(blocks):
            if isinstance(b, kind):
                return i
    return 0


def _detach(state: State) -> State:
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()
