// qtdiff client: a QWebSocket driven by a script (FORMAT.md), printing
// every signal. twin/client is its Go port.
//
// Usage: client [--url URL] [--origin ORIGIN] [--protocol P]... [--header 'Name: value']...
//               [--ca FILE] [--ignore-ssl-errors] ACTION...
#include "../common/qtdiff.h"

#include <QCoreApplication>
#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QUrl>
#include <QWebSocket>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);

    QString url = QStringLiteral("ws://127.0.0.1:1/");
    QString origin;
    QStringList protocols;
    QList<QByteArray> headers;
    QString caFile;
    bool ignoreSslErrors = false;
    QStringList actions;
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg = argv[i];
        const bool hasValue = i + 1 < argc;
        if (arg == "--url" && hasValue) {
            url = QString::fromUtf8(unescape(argv[++i]));
        } else if (arg == "--origin" && hasValue) {
            origin = QString::fromUtf8(unescape(argv[++i]));
        } else if (arg == "--protocol" && hasValue) {
            protocols << QString::fromUtf8(argv[++i]);
        } else if (arg == "--header" && hasValue) {
            headers << unescape(argv[++i]);
        } else if (arg == "--ca" && hasValue) {
            caFile = QString::fromLocal8Bit(argv[++i]);
        } else if (arg == "--ignore-ssl-errors") {
            ignoreSslErrors = true;
        } else if (arg.startsWith("--")) {
            std::fprintf(stderr, "client: unknown option %s\n", arg.constData());
            return 2;
        } else {
            actions << QString::fromUtf8(arg);
        }
    }

    OpenConfig config;
    config.request = QNetworkRequest(QUrl(url));
    for (const QByteArray &h : headers) {
        const qsizetype colon = h.indexOf(':');
        config.request.setRawHeader(h.left(colon).trimmed(), h.mid(colon + 1).trimmed());
    }
    config.options.setSubprotocols(protocols);

    // On the heap: the script's "delete" deletes it.
    QWebSocket *socket = new QWebSocket(origin);
    if (!caFile.isEmpty()) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.addCaCertificates(caFile, QSsl::Pem);
        socket->setSslConfiguration(ssl);
    }
    if (ignoreSslErrors) {
        QObject::connect(socket, &QWebSocket::sslErrors, socket,
                         [socket] { socket->ignoreSslErrors(); });
    }

    SocketScript script("client", actions, socket, &config);
    StdinWatcher stdinWatcher(&script);
    QObject::connect(&script, &Script::finished, &app, &quitProgram); // the end is a quit
    script.start();
    const int code = app.exec();
    // The scenario is over: what objects would emit while they are
    // destroyed is not part of it.
    std::fflush(stdout);
    std::_Exit(code);
}
