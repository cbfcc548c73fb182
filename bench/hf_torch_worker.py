"""Times HF transformers' PyTorch ALBERT for `bench/encoder.py`, one step per request.

Runs in a separate Python that has torch and transformers (the project's own
venv has no torch), e.g.

    python3 -m venv /tmp/hfvenv
    /tmp/hfvenv/bin/pip install torch transformers==4.49.0 numpy

`bench/encoder.py --hf-python /tmp/hfvenv/bin/python` starts it and talks to it
with one JSON object per line on stdin/stdout, so that its steps interleave
with the Keras models' steps in the same run:

    {"cmd": "setup", "config": {...}, "inputs": "/path/inputs.npz", "threads": 2}
    {"cmd": "forward"}  -> {"seconds": wall, "cpu_seconds": process CPU}
    {"cmd": "train"}    -> {"seconds": ..., "cpu_seconds": ..., "loss": ...}
    {"cmd": "matmul", "n": 2048} -> {"seconds": ...}
    {"cmd": "quit"}

The models are randomly initialized from an `AlbertConfig` (nothing is
downloaded). Forward is `AlbertModel` under `torch.inference_mode()`; the
train step is `AlbertForPreTraining` (MLM over all positions with -100 on
unmasked ones, as HF computes it, plus SOP) with AdamW.
"""

import json
import sys
import time


def _reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    import numpy as np
    import torch
    import transformers

    state = {}
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg["cmd"]
        try:
            if cmd == "setup":
                if msg.get("threads"):
                    torch.set_num_threads(int(msg["threads"]))
                c = msg["config"]
                config = transformers.AlbertConfig(
                    vocab_size=c["vocabulary_size"],
                    embedding_size=c["embedding_dim"],
                    hidden_size=c["hidden_dim"],
                    num_hidden_layers=c["num_layers"],
                    num_hidden_groups=c["num_groups"],
                    num_attention_heads=c["num_heads"],
                    intermediate_size=c["intermediate_dim"],
                    inner_group_num=c["num_inner_repetitions"],
                    hidden_act="gelu_new",
                    hidden_dropout_prob=0.0,
                    attention_probs_dropout_prob=0.0,
                    classifier_dropout_prob=0.0,
                    max_position_embeddings=c["max_sequence_length"],
                    type_vocab_size=c["num_segments"],
                    layer_norm_eps=c["layer_norm_epsilon"],
                    attn_implementation=msg.get("attn_implementation", "eager"),
                )
                data = np.load(msg["inputs"])
                t = lambda k, data=data: torch.from_numpy(np.ascontiguousarray(data[k]).astype("int64"))  # noqa: E731
                batch = {
                    "input_ids": t("token_ids"),
                    "token_type_ids": t("segment_ids"),
                    "attention_mask": t("padding_mask"),
                }
                labels = torch.full_like(batch["input_ids"], -100)
                positions, ids = data["mask_positions"], data["mlm_ids"]
                for i in range(positions.shape[0]):
                    labels[i, torch.from_numpy(positions[i].astype("int64"))] = torch.from_numpy(ids[i].astype("int64"))
                torch.manual_seed(0)
                encoder = transformers.AlbertModel(config, add_pooling_layer=True).eval()
                pretrainer = transformers.AlbertForPreTraining(config).train()
                optimizer = torch.optim.AdamW(pretrainer.parameters(), lr=1e-4)
                state.update(
                    encoder=encoder,
                    pretrainer=pretrainer,
                    optimizer=optimizer,
                    batch=batch,
                    labels=labels,
                    sop=torch.from_numpy(data["sop_label"].astype("int64")),
                )
                _reply(
                    {
                        "ok": True,
                        "torch": torch.__version__,
                        "transformers": transformers.__version__,
                        "threads": torch.get_num_threads(),
                        "params": sum(p.numel() for p in encoder.parameters()),
                    }
                )
            elif cmd == "forward":
                start, cpu = time.perf_counter(), time.process_time()
                with torch.inference_mode():
                    out = state["encoder"](**state["batch"])
                    float(out.last_hidden_state[0, 0, 0])
                _reply({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu})
            elif cmd == "forward_output":
                with torch.inference_mode():
                    out = state["encoder"](**state["batch"])
                np.save(msg["path"], out.last_hidden_state.numpy())
                _reply({"ok": True})
            elif cmd == "train":
                model, optimizer = state["pretrainer"], state["optimizer"]
                start, cpu = time.perf_counter(), time.process_time()
                optimizer.zero_grad(set_to_none=True)
                out = model(**state["batch"], labels=state["labels"], sentence_order_label=state["sop"])
                out.loss.backward()
                optimizer.step()
                loss = float(out.loss)
                _reply({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu, "loss": loss})
            elif cmd == "matmul":
                n = int(msg.get("n", 2048))
                a = torch.randn(n, n)
                torch.mm(a, a)
                start = time.perf_counter()
                torch.mm(a, a)
                _reply({"seconds": time.perf_counter() - start})
            elif cmd == "quit":
                _reply({"ok": True})
                return
            else:
                _reply({"error": f"unknown command {cmd!r}"})
        except Exception as e:  # reported to the parent, which prints it
            _reply({"error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
