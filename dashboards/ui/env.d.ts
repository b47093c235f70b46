// esbuild bundles imported stylesheets into /ui/app.css.
declare module '*.css';
