/**
 * `@bilevel/imaging/node`: the Node-only part of `@bilevel/imaging` — reading and writing image
 * files by path (errors name the file), creating folders, and loading the bundled photographs
 * and folders of the user's own images from disk. Everything else (codecs on bytes, crops,
 * degradations, metrics, grids) is in the browser-safe main entry `@bilevel/imaging`.
 * @packageDocumentation
 */
export { readBytes, readPng, readJpeg, readImage, readImageWithInfo, writePng, writeImage, makeDirectory } from './io.js';
export { IMAGE_EXTENSIONS, photographPath, loadPhotograph, loadPhotographs, loadFolder } from './files.js';
