"""`albert fill-mask MODEL TEXT...`: predict each [MASK], as HF's fill-mask pipeline does."""

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `fill-mask` subcommand."""
    p = subparsers.add_parser(
        "fill-mask",
        help="predict each [MASK] of a text with a pretrainer (model dir or handle)",
        description="Load MODEL (a model directory, or any handle `albert download` takes, e.g. albert_base_zh) "
        "as an AlbertPretrainer and print the best candidates for each [MASK] of each TEXT: a table by "
        "default, HF fill-mask JSON ({score, token, token_id, token_str, sequence}) with --json.",
    )
    p.add_argument("model", help="model directory or handle (registry name, hf://, kaggle://, URL, local path)")
    p.add_argument("texts", nargs="+", metavar="TEXT", help='text with one or more [MASK], e.g. "猫是[MASK]。"')
    p.add_argument("--top-k", type=int, default=5, help="candidates per mask (default 5)")
    p.add_argument("--targets", help="comma-separated tokens to restrict the candidates to, e.g. 狗,猫")
    p.add_argument("--json", action="store_true", help="print HF-format JSON instead of a table")
    p.set_defaults(func=run)


def format_table(texts: list[str], answers: list) -> str:
    """The candidates of each mask of each text as readable lines.

    Args:
        texts: the input texts.
        answers: one `fill_mask` result per text (a list of candidates for
            one mask, a list of such lists for several).
    """
    lines = []
    for text, answer in zip(texts, answers, strict=True):
        masks = [answer] if answer and isinstance(answer[0], dict) else answer
        for j, candidates in enumerate(masks):
            title = text if len(masks) == 1 else f"{text}  (mask {j + 1} of {len(masks)})"
            lines.append(title)
            lines.append(f"  {'rank':>4}  {'score':>8}  {'id':>6}  {'token':<12}  sequence")
            for rank, c in enumerate(candidates, 1):
                lines.append(
                    f"  {rank:>4}  {c['score']:8.4f}  {c['token']:>6}  {c['token_str']:<12}  {c['sequence']}"
                )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Prints the answers; returns 1 when the model cannot be loaded or a text has no [MASK]."""
    # Imported when the command runs, not at `albert --help`: they load TensorFlow.
    from albert_keras.handles import HubError
    from albert_keras.tasks import AlbertPretrainer

    targets = [t for t in args.targets.split(",") if t] if args.targets else None
    try:
        model = AlbertPretrainer.from_preset(args.model)
        answers = [model.fill_mask(text, top_k=args.top_k, targets=targets) for text in args.texts]
    except (HubError, ValueError, FileNotFoundError) as e:
        print(f"albert fill-mask: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(answers[0] if len(answers) == 1 else answers, ensure_ascii=False, indent=2))
    else:
        print(format_table(args.texts, answers))
    return 0
