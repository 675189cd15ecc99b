FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# .dockerignore keeps .data/, .env and .git out of this copy.
COPY . .
# The embedded mode's data dir, owned by the unprivileged user the image runs as.
RUN mkdir -p /app/.data && chown node:node /app/.data && chmod 700 /app/.data
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
USER node
CMD ["npm", "run", "api"]
