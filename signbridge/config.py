"""Typed settings for data, split, preprocessing, model, training and export (from YAML)."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
    scale: float = 0.1
    rotate_degrees: float = 10.0
    shift: float = 0.05
    aspect: float = Field(0.1, description="Stretch y against x by up to this fraction.")
    min_speed: float = 0.8
    max_speed: float = 1.25
    frame_dropout: float = 0.1
    part_dropout: float = Field(0.0, description="Chance of hiding each hand for a whole sequence.")


class PreprocessConfig(Settings):
    max_frames: int = 32
    anchor: Literal["points", "shoulders"] = Field(
        "points", description="Centre and scale on all detected points, or on the shoulders.")
    correct_aspect: bool = Field(
        False, description="Undo the camera's aspect ratio from the face's proportions.")
    augment: AugmentConfig = AugmentConfig()

    def layer_settings(self) -> dict[str, object]:
        """What the preprocessing layer (and so the exported model) depends on."""
        return {"max_frames": self.max_frames, "anchor": self.anchor,
                "correct_aspect": self.correct_aspect}


class ModelConfig(Settings):
    width: int = 128
    conv_kernel: int = 5
    num_blocks: int = 2
    num_heads: int = 4
    mlp_ratio: int = 2
    dropout: float = 0.2


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
    seed: int = 0


class ExportConfig(Settings):
    registered_model_name: str = "signbridge-asl"
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
    max_model_frames: int = Field(32, description="Frames sampled from a video for recognition.")
    tutorial_video_dir: str | None = Field(
        None, description="Folder of <sign_ord>_<sign>_<n>.mp4 example videos."
    )
    tutorial_data_root: str = Field(
        "data/sample", description="Competition-layout folder whose sequences are rendered as clips."
    )
    examples_per_sign: int = 3
    concurrency_limit: int = 2
    queue_size: int = 64

    def resolved(self, path: str) -> Path:
        resolved = Path(path).expanduser()
        return resolved if resolved.is_absolute() else PROJECT_ROOT / resolved


class DeployConfig(Settings):
    model_name: str = "signbridge-asl"
    app: AppConfig = AppConfig()
