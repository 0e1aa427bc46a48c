# The dashboard (and, unless Slip__Workers__Enabled=false, a CPU worker). Build from the repository root:
#   docker build -f docker/web.Dockerfile -t slip-web .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish Slip.Web -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 libturbojpeg curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENV Urls=http://0.0.0.0:8080 \
    Slip__DataDirectory=/data \
    DOTNET_gcServer=0
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["dotnet", "Slip.Web.dll"]
