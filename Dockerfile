# Build stage: the dependencies and the admin UI (ui/ -> dist/admin-ui, served at /admin).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# .dockerignore keeps .data/, .env, .git and any local dist/ out of this copy.
COPY . .
RUN npm run ui:build

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY . .
# Where src/routes/admin-ui.ts (ADMIN_UI_DIR) looks for it.
COPY --from=build /app/dist/admin-ui ./dist/admin-ui
# The embedded mode's data dir, owned by the unprivileged user the image runs as.
RUN mkdir -p /app/.data && chown node:node /app/.data && chmod 700 /app/.data
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
USER node
CMD ["npm", "run", "api"]
