import type { BuildOptions } from 'esbuild';

/** The esbuild options of the published bundle (see build.mjs). */
export declare const bundleOptions: BuildOptions & { entryPoints: string[]; target: string[] };
