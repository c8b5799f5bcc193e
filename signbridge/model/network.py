"""The sign classifier: per-part embeddings, attention over parts, transformer encoder, pooling."""

import keras
from keras import layers, ops

from signbridge.config import ModelConfig
from signbridge.data.landmarks import NUM_SIGNS, FeatureLayout


@keras.saving.register_keras_serializable(package="signbridge")
class PartEmbedding(layers.Layer):
    """Embed one body part per frame: dense over its points, then a temporal convolution."""

    def __init__(self, width: int, conv_kernel: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.width, self.conv_kernel = width, conv_kernel
        self.dense = layers.Dense(width, activation="gelu")
        self.conv = layers.Conv1D(width, conv_kernel, padding="same", activation="gelu")
        self.norm = layers.LayerNormalization()

    def build(self, input_shape) -> None:
        frames, points, channels = input_shape[1], input_shape[2], input_shape[3]
        self.dense.build((None, frames, points * channels))
        self.conv.build((None, frames, self.width))
        self.norm.build((None, frames, self.width))

    def call(self, part_features):  # [B, T, points, channels]
        points, channels = part_features.shape[2], part_features.shape[3]
        flat = ops.reshape(part_features, (-1, ops.shape(part_features)[1], points * channels))
        return self.norm(self.conv(self.dense(flat)))

    def get_config(self) -> dict:
        return {**super().get_config(), "width": self.width, "conv_kernel": self.conv_kernel}


@keras.saving.register_keras_serializable(package="signbridge")
class PartAttention(layers.Layer):
    """Softmax-weighted sum of part embeddings; a part with no landmarks in a frame gets no weight."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.score = layers.Dense(1)

    def build(self, embeddings_shape, present_shape=None) -> None:
        self.score.build(embeddings_shape)

    def call(self, embeddings, present):  # [B, T, parts, W], [B, T, parts]
        # The softmax runs in float32: -1e9 is -inf in float16, and a frame with no part at all
        # (padding) would then become NaN under mixed precision.
        scores = ops.cast(ops.squeeze(self.score(embeddings), -1), "float32")
        scores = ops.where(present, scores, ops.full_like(scores, -1e9))
        weights = ops.cast(ops.softmax(scores, axis=-1), embeddings.dtype)
        return ops.sum(embeddings * weights[..., None], axis=2)


@keras.saving.register_keras_serializable(package="signbridge")
class TransformerBlock(layers.Layer):
    """Pre-norm multi-head self-attention and MLP, both residual; padded frames are not attended."""

    def __init__(self, width: int, num_heads: int, mlp_ratio: int, dropout: float, **kwargs):
        super().__init__(**kwargs)
        self.width, self.num_heads, self.mlp_ratio, self.dropout_rate = (
            width, num_heads, mlp_ratio, dropout,
        )
        self.attention_norm = layers.LayerNormalization()
        self.attention = layers.MultiHeadAttention(
            num_heads, width // num_heads, dropout=dropout
        )
        self.mlp_norm = layers.LayerNormalization()
        self.mlp_hidden = layers.Dense(width * mlp_ratio, activation="gelu")
        self.mlp_out = layers.Dense(width)
        self.dropout = layers.Dropout(dropout)

    def build(self, x_shape, mask_shape=None) -> None:
        self.attention_norm.build(x_shape)
        self.attention.build(x_shape, x_shape)
        self.mlp_norm.build(x_shape)
        self.mlp_hidden.build(x_shape)
        self.mlp_out.build((*x_shape[:-1], self.width * self.mlp_ratio))

    def call(self, x, mask, training=None):  # [B, T, W], [B, T]
        valid = ops.cast(mask, "bool")
        attention_mask = ops.logical_and(valid[:, :, None], valid[:, None, :])
        normed = self.attention_norm(x)
        x = x + self.dropout(
            self.attention(normed, normed, attention_mask=attention_mask, training=training),
            training=training,
        )
        hidden = self.mlp_out(self.mlp_hidden(self.mlp_norm(x)))
        return x + self.dropout(hidden, training=training)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "width": self.width,
            "num_heads": self.num_heads,
            "mlp_ratio": self.mlp_ratio,
            "dropout": self.dropout_rate,
        }


@keras.saving.register_keras_serializable(package="signbridge")
class MaskedMeanPooling(layers.Layer):
    """Mean over valid frames only."""

    def call(self, x, mask):
        weights = ops.cast(mask, x.dtype)[..., None]
        return ops.sum(x * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)


@keras.saving.register_keras_serializable(package="signbridge")
class PositionEmbedding(layers.Layer):
    """Learned embedding of the frame position, added to each frame."""

    def __init__(self, max_frames: int, width: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_frames, self.width = max_frames, width
        self.table = layers.Embedding(max_frames, width)

    def build(self, input_shape) -> None:
        self.table.build((self.max_frames,))

    def call(self, x):
        return x + self.table(ops.arange(self.max_frames))[None]

    def get_config(self) -> dict:
        return {**super().get_config(), "max_frames": self.max_frames, "width": self.width}


def build_classifier(config: ModelConfig, max_frames: int, precision: str = "float32",
                     layout: FeatureLayout | None = None) -> keras.Model:
    """Classifier over preprocessed features: `(features [B, T, points, channels], mask [B, T])
    -> [B, 250]`, one embedding per part of `layout`. With `config.members` > 1 it answers
    `[B, members, 250]` for training (`MemberCrossentropy`); `ensemble_answer` makes it answer
    the members' mean.

    `precision` is a Keras dtype policy (`mixed_float16`, `mixed_bfloat16`) for training on a
    GPU; the output softmax is float32 in every policy.
    """
    previous = keras.config.dtype_policy()
    # Layers take the global policy when they are made; it is set back at once, so nothing built
    # later in the process (evaluation, export) inherits it.
    keras.config.set_dtype_policy(precision)
    try:
        return _build(config, max_frames, layout or FeatureLayout())
    finally:
        keras.config.set_dtype_policy(previous)


def as_float32(model: keras.Model, config: ModelConfig, max_frames: int,
               layout: FeatureLayout | None = None) -> keras.Model:
    """A float32 copy of a classifier trained under a mixed policy, for saving and export. Its
    variables were float32 all along, so the weights carry over exactly."""
    if model.dtype_policy.name == "float32":
        return model
    copy = build_classifier(config, max_frames, layout=layout)
    copy.set_weights(model.get_weights())
    return copy


def _build(config: ModelConfig, max_frames: int, layout: FeatureLayout) -> keras.Model:
    features = keras.Input((max_frames, layout.points, layout.channels), name="features")
    mask = keras.Input((max_frames,), name="mask")
    # Padded frames are zeroed here so nothing later (e.g. the convolution) can see their content.
    valid_features = features * mask[:, :, None, None]
    if config.members == 1:
        outputs = _member(config, valid_features, mask, max_frames, layout, prefix="")
    else:
        outputs = MemberStack(name="members")(
            [_member(config, valid_features, mask, max_frames, layout, prefix=f"member{m}_")
             for m in range(config.members)])
    return keras.Model([features, mask], outputs, name="sign_classifier")


def _member(config: ModelConfig, valid_features, mask, max_frames: int, layout: FeatureLayout,
            prefix: str):
    """One classifier: features -> `[B, 250]` probabilities; layer names start with `prefix`."""
    embeddings, present = [], []
    for part, points in layout.slices().items():
        part_features = valid_features[:, :, points]
        embeddings.append(
            PartEmbedding(config.width, config.conv_kernel, name=f"{prefix}{part}_embedding")(
                part_features
            )
        )
        present.append(ops.any(ops.not_equal(part_features, 0.0), axis=(2, 3)))
    fused = PartAttention(name=f"{prefix}part_attention")(
        ops.stack(embeddings, axis=2), ops.stack(present, axis=2)
    )
    x = PositionEmbedding(max_frames, config.width, name=f"{prefix}position")(fused)
    for block in range(config.num_blocks):
        x = TransformerBlock(
            config.width, config.num_heads, config.mlp_ratio, config.dropout,
            name=f"{prefix}transformer_{block}",
        )(x, mask)
    pooled = MaskedMeanPooling(name=f"{prefix}pooling")(layers.LayerNormalization()(x), mask)
    pooled = layers.Dropout(config.dropout)(pooled)
    return layers.Dense(NUM_SIGNS, activation="softmax", dtype="float32",
                        name=f"{prefix}signs")(pooled)


@keras.saving.register_keras_serializable(package="signbridge")
class MemberStack(layers.Layer):
    """The members' probabilities side by side, `[B, members, 250]`, for training each member
    on its own (`MemberCrossentropy`)."""

    def call(self, outputs):
        return ops.stack(outputs, axis=1)


@keras.saving.register_keras_serializable(package="signbridge")
class MemberMean(layers.Layer):
    """The ensemble's answer: the mean of its members' probabilities, `[B, 250]`."""

    def call(self, stacked):
        return ops.mean(stacked, axis=1)


@keras.saving.register_keras_serializable(package="signbridge")
class MemberCrossentropy(keras.losses.Loss):
    """Categorical cross-entropy of every member against the same target, averaged over the
    members: each learns on its own, from its own initial weights and dropout."""

    def __init__(self, label_smoothing: float = 0.0, name: str = "member_crossentropy",
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):  # [B, 250], [B, members, 250]
        y_true = ops.cast(y_true, y_pred.dtype)
        y_true = y_true * (1.0 - self.label_smoothing) + self.label_smoothing / NUM_SIGNS
        losses = -ops.sum(y_true[:, None, :] * ops.log(ops.clip(y_pred, 1e-7, 1.0)), axis=-1)
        return ops.mean(losses, axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def ensemble_answer(model: keras.Model) -> keras.Model:
    """`model` itself with one member; otherwise the same layers answering the members' mean."""
    if len(model.output.shape) == 2:
        return model
    return keras.Model(model.inputs, MemberMean(name="ensemble")(model.output),
                       name="sign_classifier")
