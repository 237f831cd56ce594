# Image of the NileCare FHIR server (used by docker-compose.yml). Node 22 comes from the project's own
# pinned `node` package, so the base image's Node only runs npm.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
EXPOSE 8080 2575
CMD ["npm", "start"]
