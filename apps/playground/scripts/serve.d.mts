/** The built app's folder. */
export declare const DIST: string;
/** Serve `root` on 127.0.0.1:`port` (0: any free port). */
export declare function serve(root?: string, port?: number): Promise<{ url: string; close: () => Promise<void> }>;
