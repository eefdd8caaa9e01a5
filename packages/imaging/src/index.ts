/**
 * `@bilevel/imaging`: images for bilevel learning. PNG and JPEG codecs on bytes, bundled real
 * photographs (CC0) with a fixed train/test split, luma and
 * resizing, seeded crops and splits, seeded degradations (noise; blur and other forward operators
 * `y = A x + σε` through the `LinearOperator`s of `@bilevel/operators`; inpainting masks),
 * PSNR/SSIM with an explicit data range, and captioned image grids for reports.
 *
 * The data pipeline of both apps is here: degradations as data (`degradationSchema`: noise, blur,
 * inpainting, with the data operator each one means) and `imagePairs` — clean images, a crop
 * spec, a degradation and a seed → `{ clean, degraded, operator }` pairs from the experiment's
 * seeded streams (`streamFor`) — so `bilevel train` and the playground make the same samples.
 *
 * Images are `{ channels, height, width, data: Float64Array }`, channels first `[C, H, W]`,
 * row-major, values in `[0, 1]` when loaded.
 *
 * This entry point imports no Node module, so it runs in a browser (and a Web Worker); reading
 * and writing files (`readImage`, `writeImage`, `loadPhotograph`, `loadFolder`, …) is in
 * `@bilevel/imaging/node`.
 * @packageDocumentation
 */
export type { Image, NamedImage, ImageStats } from './image.js';
export { createImage, assertImage, imageShape, cloneImage, clampImage, getChannel, imageStats } from './image.js';
export type {
  ImageBytes, ImageFormat, ImageFileInfo, DecodedImage, DecodeOptions, EncodePngOptions, EncodeJpegOptions, EncodeImageOptions,
} from './codecs.js';
export {
  isPng, isJpeg, decodePng, encodePng, decodeJpeg, encodeJpeg, decodeImage, decodeImageWithInfo, encodeImage, imageFormatOfPath,
  IMAGE_FORMAT_EXTENSIONS, MAX_IMAGE_PIXELS,
} from './codecs.js';
export { BT601_WEIGHTS, toGray, toRgb, dropAlpha } from './color.js';
export type { ResizeOptions } from './resize.js';
export { downscale, resize, fitMaxSide } from './resize.js';
export type { Seed } from './seed.js';
export { toRng } from './seed.js';
export type { CropWindow, Patch, GridTilesOptions, SampleCropsOptions, SplitOptions, Split } from './crops.js';
export { crop, centerCrop, gridTiles, sampleCrops, splitByImage } from './crops.js';
export type { NoiseOptions, DegradeOptions, MaskOptions, NoisyCrop } from './degrade.js';
export { addGaussianNoise, degrade, noisyCrops, randomMask, applyMask } from './degrade.js';
export type { Degradation, DegradationInput, DegradedSample } from './degradation.js';
export {
  degradationSchema, BLUR_BOUNDARY, blurKernel, blurOperator, degradationOperator, forwardOperator, degradeSample, maskedSample, degradeImage, degradedLabel,
} from './degradation.js';
export type { SeedUse, CropSpec, ImagePairsOptions, ImagePair } from './pipeline.js';
export { SEED_OFFSETS, seedFor, streamFor, cropSpecSchema, imagePairs } from './pipeline.js';
export type { MetricOptions } from './metrics.js';
export { mse, psnr, psnrFromLoss, ssim, SSIM_WINDOW, SSIM_SIGMA, SSIM_K } from './metrics.js';
export type { PhotographInfo, PhotographName, LoadOptions } from './datasets.js';
export {
  PHOTOGRAPHS, DEFAULT_SPLIT, PHOTOGRAPH_FILE, listPhotographs, photographInfo, photographFromBytes, prepareImage, parseLoadOptions,
} from './datasets.js';
export type { DrawTextOptions, TextImageOptions } from './font.js';
export { GLYPH_WIDTH, GLYPH_HEIGHT, GLYPH_SPACING, FONT_CHARACTERS, measureText, drawText, textImage } from './font.js';
export type { TileImagesOptions } from './grid.js';
export { tileImages } from './grid.js';
