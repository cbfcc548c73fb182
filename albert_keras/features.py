"""The single source of feature keys and special token ids.

Every part of the project (tf.data pipelines, the TFX pipeline, the serving
signatures, the task models) names its tensors with these constants.
"""

# Model inputs, as `AlbertBackbone` and the task models take them.
TOKEN_IDS = "token_ids"  # int32 [batch, seq_len]
SEGMENT_IDS = "segment_ids"  # int32 [batch, seq_len], 0 for A, 1 for B
PADDING_MASK = "padding_mask"  # int32/bool [batch, seq_len], 1 on real tokens
MASK_POSITIONS = "mask_positions"  # int32 [batch, max_predictions]

# Pretraining labels (the `y` dict of `AlbertPretrainer`).
MLM_IDS = "mlm_ids"  # int32 [batch, max_predictions]
MLM_WEIGHTS = "mlm_weights"  # float32 [batch, max_predictions], 0 on padding
SOP_LABEL = "sop_label"  # int32 [batch], 1 = swapped, 0 = in order

# Feature names of the original `create_pretraining_data.py` tf.Examples.
ORIGINAL_NAMES = {
    "input_ids": TOKEN_IDS,
    "segment_ids": SEGMENT_IDS,
    "input_mask": PADDING_MASK,
    "masked_lm_positions": MASK_POSITIONS,
    "masked_lm_ids": MLM_IDS,
    "masked_lm_weights": MLM_WEIGHTS,
    "next_sentence_labels": SOP_LABEL,
}

# Raw-text features (TFX examples, serving signatures).
TEXT = "text"
TEXT_B = "text_b"
LABEL = "label"

# Special token ids of the original ALBERT SentencePiece vocabulary.
PAD_ID = 0
UNK_ID = 1
CLS_ID = 2
SEP_ID = 3
MASK_ID = 4
PAD_TOKEN = "<pad>"
UNK_TOKEN = "<unk>"
CLS_TOKEN = "[CLS]"
SEP_TOKEN = "[SEP]"
MASK_TOKEN = "[MASK]"
SPECIAL_TOKENS = (PAD_TOKEN, UNK_TOKEN, CLS_TOKEN, SEP_TOKEN, MASK_TOKEN)
