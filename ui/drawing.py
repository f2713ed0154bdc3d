"""Drawing a digit: the canvas (or a typed grid), its 8x8 downsampling, and digit thumbnails."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

CANVAS_PX = 192
BITMAP = 32  # the digits' originals were 32x32 bitmaps counted in 4x4 blocks
GRID_HELP = "No drawing canvas here: type pixel values 0 (paper) to 16 (ink), like the data."


def downsample_drawing(rgba: np.ndarray) -> np.ndarray | None:
    """Canvas pixels (H, W, 4) -> (8, 8) in [0, 1] the way the digits were made; None if blank.

    The originals were 32x32 bitmaps cut into 4x4 blocks whose "on" pixels were counted (0..16);
    scikit-learn stores those counts, and the dataset here divides them by 16. So: ink mask,
    crop to the ink and centre it in a square (aspect kept), 32x32 bitmap, 4x4 block counts.
    """
    rgba = np.asarray(rgba)
    alpha = rgba[..., 3] if rgba.shape[-1] == 4 else np.full(rgba.shape[:2], 255)
    ink = (alpha > 127) & (rgba[..., :3].mean(axis=-1) < 128)  # (H, W) dark, opaque strokes
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return None
    box = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    side = max(box.shape)
    square = np.zeros((side, side), dtype=np.uint8)
    top, left = (side - box.shape[0]) // 2, (side - box.shape[1]) // 2
    square[top : top + box.shape[0], left : left + box.shape[1]] = box * 255
    small = Image.fromarray(square).resize((BITMAP, BITMAP), Image.Resampling.BOX)
    bitmap = np.asarray(small) > 127  # (32, 32) on/off
    counts = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3))  # (8, 8) in 0..16
    return (counts / 16.0).astype(np.float32)


def draw_digit() -> np.ndarray | None:
    """A drawing canvas (or an 8x8 grid if the canvas is unavailable) -> (8, 8) in [0, 1]."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # noqa: BLE001 - any import failure means: use the grid instead
        st.info("The drawing canvas could not load here: type the digit's pixels instead.")
        st.caption(GRID_HELP)
        grid = st.data_editor(pd.DataFrame(np.zeros((8, 8), dtype=int)), key="img_grid")
        values = np.clip(grid.to_numpy(dtype=np.float32), 0, 16) / 16.0
        return values if values.any() else None
    st.caption("Draw one digit, large and centred; the bin icon clears the canvas.")
    try:
        result = st_canvas(stroke_width=16, stroke_color="#000000", background_color="",
                           height=CANVAS_PX, width=CANVAS_PX, drawing_mode="freedraw",
                           return_image_data=True, key="img_canvas")  # fmt: skip
        data = result.image_data if result is not None else None
    except (ValueError, OSError) as e:  # a drawing that is no PNG image (PIL's errors are these)
        st.warning(f"The drawing could not be read ({type(e).__name__}); clear it and draw again.")
        return None
    return downsample_drawing(data) if data is not None else None


def thumbnail(img: np.ndarray, scale: int = 8) -> np.ndarray:
    """An (8, 8) image in [0, 1] as an (8*scale+2, 8*scale+2) picture: dark ink, white, framed."""
    big = 1.0 - np.kron(np.clip(img, 0.0, 1.0), np.ones((scale, scale), dtype=np.float32))
    return np.pad(big, 1, constant_values=0.8)
