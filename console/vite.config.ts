import { defineConfig, type Plugin } from 'vite';

// graphiql's stylesheet embeds its Roboto and Fira Code fonts as data
// URLs (about 370 kB); the console uses the system's fonts instead.
function dropGraphiQLFonts(): Plugin {
  return {
    name: 'graft-drop-graphiql-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (/[\\/]graphiql[\\/]dist[\\/]style\.css$/.test(id.split('?')[0])) {
        return { code: code.replace(/@font-face\s*\{[^}]*\}/g, ''), map: null };
      }
      return undefined;
    },
  };
}

// The console is served by graft under /console and embedded from
// internal/console/dist/console (see internal/console).
export default defineConfig({
  base: '/console/',
  plugins: [dropGraphiQLFonts()],
  build: {
    outDir: '../internal/console/dist/console',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      onwarn(warning, warn) {
        // framer-motion (through graphiql) marks modules "use client".
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    // npm run dev: the console on Vite's server, the APIs on a local graft.
    proxy: Object.fromEntries(
      ['/v1', '/v2', '/v1alpha1', '/v1beta1', '/healthz'].map((p) => [p, process.env.GRAFT_URL ?? 'http://localhost:8080']),
    ),
  },
});
