//! Archive and compressed-file members as scan inputs (to be written).
