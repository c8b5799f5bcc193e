"""Typed settings for data, split, preprocessing, model, training and export (from YAML)."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from signbridge.data.landmarks import FeatureLayout

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(Settings):
    root: str = "data/sample"
    limit: int | None = Field(None, description="Use only the first N rows of train.csv.")
    shard_size: int = Field(512, description="Sequences per cached shard.")
    workers: int = Field(2, description="Processes converting parquet files to shards.")

    def resolved_root(self) -> Path:
        """`root` as an absolute path; relative paths are taken from the project folder."""
        root = Path(self.root).expanduser()
        return root if root.is_absolute() else PROJECT_ROOT / root


class SplitConfig(Settings):
    evaluation_signers: int | list[str] = 2
    validation_signers: int | list[str] = 1
    seed: int = 0


class AugmentConfig(Settings):
    """Random variations drawn afresh for every training sequence in every epoch (tf.data)."""

    enabled: bool = True
    hand_shift: float = Field(
        0.0, description="Move both hands against the body by up to this many shoulder widths "
        "(x and y): signers sign a little higher, lower or wider than one another.")
    scale: float = 0.1
    rotate_degrees: float = 10.0
    shift: float = 0.05
    aspect: float = Field(0.1, description="Stretch y against x by up to this fraction.")
    min_speed: float = 0.8
    max_speed: float = 1.25
    frame_dropout: float = 0.1
    part_dropout: float = Field(0.0, description="Chance of hiding each hand for a whole sequence.")
    hand_gaps: float = Field(
        0.0, description="Hide each hand in single frames, with a chance per frame drawn up to "
        "this per sequence, as when MediaPipe misses a hand for a few frames.")
    short_clip: float = Field(
        0.0, description="Chance of keeping only a few frames (2 to short_clip_frames) of a "
        "sequence, evenly spaced: a third of the competition's clips are that short.")
    short_clip_frames: int = 8
    hand_jitter: float = Field(
        0.0, description="Move each hand point but the wrist by its own offset, fixed for the "
        "sequence, of up to this many palm lengths in x and y: hands differ in proportions, and "
        "the detector places one signer's joints a little differently from another's.")


# Choices the config and the preprocessing layer share (PreprocessConfig's fields of these names).
Anchor = Literal["points", "shoulders"]
HandFrame = Literal["wrist", "palm", "bones"]
FillAlong = Literal["line", "pose"]


class PreprocessConfig(Settings):
    max_frames: int = 32
    anchor: Anchor = Field(
        "points", description="Centre and scale on all detected points, or on the shoulders.")
    correct_aspect: bool = Field(
        False, description="Undo the camera's aspect ratio from the face's proportions.")
    groups: list[Literal["lips", "eyes", "nose"]] = Field(
        default_factory=list, description="Face-mesh groups read next to the pose's upper body "
        "and both hands, each embedded as a part of its own.")
    depth: bool = Field(False, description="Also read z (depth), not only x and y.")
    hand_shape: bool = Field(
        False, description="Also read each hand from its wrist, scaled by its palm: the "
        "handshape and palm orientation wherever the hand is, as parts of their own.")
    hand_frame: HandFrame = Field(
        "wrist", description="How the hand-shape parts see each hand: from its wrist as the "
        "camera sees it (\"wrist\": shape and palm orientation), or turned into the palm's own "
        "frame (\"palm\": across the knuckles, wrist to middle knuckle, out of the palm), so "
        "a hand turned differently by another signer has the same shape; the orientation is "
        "still in the hand parts themselves; \"bones\": in the palm's frame, each joint "
        "given as the direction of its bone alone, so only how the fingers bend and spread "
        "counts, not how long another signer's bones are tracked.")
    fill_hand_gaps: int = Field(
        0, ge=0, description="Fill a hand missed for up to this many frames between two frames "
        "where it was seen, along the straight line between them (MediaPipe often loses a "
        "moving hand for a few frames); 0: off.")
    fill_along: FillAlong = Field(
        "line", description="How `fill_hand_gaps` fills: on the straight line between the two "
        "frames, or following the pose's wrist (seen even when the hand is not) away from that "
        "line, so a long gap keeps the hand's real path.")
    stretch_short: bool = Field(
        False, description="Stretch sequences shorter than `max_frames` to `max_frames` by "
        "repeating frames evenly, instead of padding them: a sign signed in few frames then "
        "spans the model's time axis as a long one does.")
    augment: AugmentConfig = AugmentConfig()

    @model_validator(mode="after")
    def _hand_frame_needs_hand_shapes(self) -> "PreprocessConfig":
        if self.hand_frame != "wrist" and not self.hand_shape:
            raise ValueError(f"hand_frame '{self.hand_frame}' turns the hand-shape parts, "
                             "which are off: set preprocess.hand_shape: true as well")
        return self

    def layout(self) -> FeatureLayout:
        """What the model reads: the core parts, these face groups, depth or not."""
        return FeatureLayout(tuple(self.groups), self.depth, self.hand_shape)

    def layer_settings(self) -> dict[str, object]:
        """What the preprocessing layer (and so the exported model) depends on."""
        return {"max_frames": self.max_frames, "anchor": self.anchor,
                "correct_aspect": self.correct_aspect, "groups": list(self.layout().groups),
                "depth": self.depth, "hand_shape": self.hand_shape,
                "hand_frame": self.hand_frame, "fill_hand_gaps": self.fill_hand_gaps,
                "fill_along": self.fill_along, "stretch_short": self.stretch_short}


class ModelConfig(Settings):
    width: int = 128
    conv_kernel: int = 5
    num_blocks: int = 2
    num_heads: int = 4
    mlp_ratio: int = 2
    dropout: float = 0.2
    members: int = Field(
        1, ge=1, description="Classifiers trained side by side from different initial weights, "
        "answering the mean of their probabilities (one model, one TFLite file): steadier "
        "confidence on new signers and on signs none of them knows, at members times the cost.")


CounterexampleChange = Literal["location", "curl", "claw", "spread", "palm", "reverse", "twice",
                               "still", "second_hand"]


class TrainConfig(Settings):
    epochs: int = Field(60, ge=1)
    batch_size: int = Field(32, ge=1)
    learning_rate: float = 1e-3
    optimizer: Literal["adam", "adamw"] = "adam"
    weight_decay: float = Field(0.0, description="AdamW decoupled weight decay.")
    schedule: Literal["constant", "cosine"] = "constant"
    warmup_epochs: int = Field(0, description="Linear warm-up before the cosine decay.")
    label_smoothing: float = 0.0
    patience: int = 10
    min_epochs: int = Field(
        0, description="Epochs before early stopping starts watching (the warm-up's noise).")
    counterexample_weight: float = Field(
        0.0, description="Loss weight of the counterexample paired with every training sequence "
        "(the sign with its location, handshape, movement or hands changed, taught as 'not "
        "sure'); 0 turns them off.")
    counterexamples: list[CounterexampleChange] = Field(
        default_factory=lambda: ["location", "curl", "claw", "palm", "still", "second_hand"],
        description="What a counterexample may change (one, drawn evenly, per copy): where the "
        "hands are, the handshape (curl, claw, spread), the palm, the movement (reverse, twice, "
        "still) or the use of a second hand. The default leaves out spread, reverse and twice, "
        "which the sample model could not tell from the real sign (configs/train_sample.yaml).")
    counterexample_target: Literal["known", "all"] = Field(
        "known", description="Where a counterexample's answer is spread: evenly over the signs "
        "seen in training ('known'), or over all 250 outputs ('all'), so that the share of the "
        "answer on the known signs says whether a clip looks like one of them at all "
        "(`evaluation.min_known_share`). The same with the full data, where all 250 are known.")
    seed: int = 0
    precision: Literal["float32", "mixed_float16", "mixed_bfloat16"] = Field(
        "float32", description="Keras dtype policy while training. The mixed ones compute in 16 "
        "bits on a GPU (float16 with loss scaling, or bfloat16 on Ampere and newer) and keep "
        "variables and the softmax in float32; the trained and exported model is float32 either way.")
    jit_compile: bool | Literal["auto"] = Field(
        "auto", description="XLA-compile the training step; 'auto' is Keras' choice: on when a "
        "GPU is present, off on CPU.")
    resume: bool = Field(
        True, description="Continue an unfinished run of this config on the same data from its "
        "last epoch's checkpoint; false (or `train --fresh`) starts from scratch.")


class EvaluationSource(Settings):
    """Landmarks from another source, for evaluation only (never trained on)."""

    name: str
    root: str
    index: str = Field("train.csv", description="Index CSV; may list signs outside the 250.")

    def resolved_root(self) -> Path:
        root = Path(self.root).expanduser()
        return root if root.is_absolute() else PROJECT_ROOT / root


class EvaluationConfig(Settings):
    keep: float = Field(
        0.98, description="Share of held-out sequences recognised right that the fitted "
        "acceptance rule keeps; the rest of the model's answers below it become 'not sure'.")
    min_confidence: float | None = Field(
        None, gt=0, lt=1, description="A fixed confidence threshold (the model's share among "
        "the signs it knows, not rescaled), chosen by leave-signers-out cross-validation "
        "(`run_pipeline.py crossval` prints the trade-off). Unset, the threshold is fitted on "
        "the validation signers to keep `keep` of their right answers: the better choice when "
        "they hold thousands of sequences, a noisy one when they hold a few dozen.")
    min_known_share: float = Field(
        0.0, ge=0, lt=1, description="Answers whose output puts less than this on the known "
        "signs together are 'not sure' (for models taught with `training.counterexample_target: "
        "all`, which put little there for what is none of their signs); 0: no check.")
    min_frames: int = Field(2, description="Fewer frames than this are 'not sure'.")
    min_hand_frames: int = Field(1, description="Fewer frames with a hand are 'not sure'.")
    handshape_quantile: float | None = Field(
        None, gt=0, le=1, description="Check the signing hand's shape against the known signs' "
        "handshapes (training and validation signers), accepting hands as far from them as this "
        "share of known-sign clips of signers the comparison did not include; unset: no check. "
        "For models that know few signs (with 250, nearly every handshape is known).")
    handshape_scale: float = Field(
        1.0, gt=0, description="The handshape limit is this multiple of the distance "
        "`handshape_quantile` finds: below 1, hands a little unlike the known ones are 'not "
        "sure' too (fewer look-alike signs pass, and a few real performances are turned away).")
    handshape_descriptor: Literal["frames-2d", "clip-3d"] = Field(
        "frames-2d", description="How the handshape check compares hands: 'frames-2d', each "
        "frame's joint angles in the picture, median of the frames' nearest known handshapes; "
        "'clip-3d', joint angles in space (with MediaPipe's depth), averaged over the clip and "
        "compared with the known clips' averages.")
    handshape_weight: float = Field(
        0.0, ge=0, description="How much surer the model must be the further the signing hand "
        "is from the known handshapes: the confidence needed is `min_confidence` for a hand "
        "like theirs and rises by this many log-odds at the handshape limit (0: the same "
        "confidence whatever the hand). Needs `handshape_quantile`.")
    unmeasured_confidence: float | None = Field(
        None, gt=0, lt=1, description="With `handshape_weight`: the confidence needed when the "
        "hand's shape could not be measured (a whole hand in fewer than 3 frames), which no "
        "handshape speaks for; unset: what a hand at the handshape limit needs.")
    other_sources: list[EvaluationSource] = Field(
        default_factory=list, description="Other sources to evaluate on (skipped if missing).")

    @model_validator(mode="after")
    def _weight_needs_the_handshape_check(self) -> "EvaluationConfig":
        if self.handshape_weight and not self.handshape_quantile:
            raise ValueError("handshape_weight raises the confidence needed with the hand's "
                             "distance from the known handshapes, which are not checked: set "
                             "evaluation.handshape_quantile as well")
        return self


class ExportConfig(Settings):
    parity_tolerance: float = 1e-4
    parity_sequences: int = 16
    quantized: list[Literal["float16", "dynamic_int8"]] = Field(
        default_factory=list,
        description="Extra quantised exports, measured (size, latency, held-out top-1) and logged.",
    )


class AppConfig(Settings):
    host: str = "127.0.0.1"
    port: int = 7860
    max_upload_mb: float = 50.0
    max_video_seconds: float = 10.0
    tutorial_video_dir: str | None = Field(
        None, description="Folder of <sign_ord>_<sign>_<n>.mp4 example videos."
    )
    tutorial_data_root: str = Field(
        "data/sample", description="Competition-layout folder of reference performances: "
        "rendered as example clips and compared with a learner's signing."
    )
    examples_per_sign: int = 3
    concurrency_limit: int = 2
    queue_size: int = 64

    def resolved(self, path: str) -> Path:
        resolved = Path(path).expanduser()
        return resolved if resolved.is_absolute() else PROJECT_ROOT / resolved


class DeployConfig(Settings):
    app: AppConfig = AppConfig()


class TrainingConfig(Settings):
    """The `parameters:` of a training pipeline config."""

    data: DataConfig = DataConfig()
    split: SplitConfig = SplitConfig()
    preprocess: PreprocessConfig = PreprocessConfig()
    network: ModelConfig = ModelConfig()
    training: TrainConfig = TrainConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    export: ExportConfig = ExportConfig()

    def split_validation_signers(self) -> int:
        """How many validation signers a cross-validation fold draws (a count, even when the
        config names them)."""
        chosen = self.split.validation_signers
        return len(chosen) if isinstance(chosen, list) else chosen


DEFAULT_TRAINING_CONFIG = PROJECT_ROOT / "configs" / "train_sample.yaml"
DEFAULT_DEPLOY_CONFIG = PROJECT_ROOT / "configs" / "deploy.yaml"


def read_yaml(path: str | Path) -> dict:
    """A pipeline config file as a dict; a missing or malformed file is named in the error."""
    import yaml

    from signbridge.errors import SignbridgeError

    path = Path(path)
    if not path.is_file():
        raise SignbridgeError(f"{path}: config file not found")
    try:
        content = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise SignbridgeError(f"{path}: not valid YAML ({error})") from error
    if not isinstance(content, dict):
        raise SignbridgeError(f"{path}: expected a mapping with `model:` and `parameters:`")
    return content


def _typed(path: str | Path, settings_type: type[Settings], section: str | None = None):
    from pydantic import ValidationError

    from signbridge.errors import SignbridgeError

    parameters = read_yaml(path).get("parameters", {}) or {}
    try:
        return settings_type(**(parameters.get(section, {}) if section else parameters))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in ((section,) if section else ()) + first["loc"])
        raise SignbridgeError(f"{path}: parameters.{where}: {first['msg']}") from error


def load_training_config(path: str | Path = DEFAULT_TRAINING_CONFIG) -> TrainingConfig:
    """The typed parameters of a training config (what the pipeline will run with)."""
    return _typed(path, TrainingConfig)


def load_deploy_config(path: str | Path = DEFAULT_DEPLOY_CONFIG) -> DeployConfig:
    return _typed(path, DeployConfig, "deploy")


def model_name(path: str | Path = DEFAULT_DEPLOY_CONFIG) -> str:
    """The model's name: the `model.name` key of a pipeline config (the deploy config's by
    default), used for the ZenML model and the MLflow registered model alike."""
    from signbridge.errors import SignbridgeError

    name = (read_yaml(path).get("model") or {}).get("name")
    if not name:
        raise SignbridgeError(f"{path}: no `model: name:` set")
    return str(name)
