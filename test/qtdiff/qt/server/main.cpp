// qtdiff server: a QWebSocketServer driven by a script (FORMAT.md), printing
// every signal of the server and of each socket it hands out.
// twin/server is its Go port.
//
// Usage: server [--secure --cert FILE --key FILE] [--listen ADDR] [--name NAME]
//               [--max-pending N] [--protocol P]... [--refuse-origin O]...
//               [--handshake-timeout MS] [--echo] [--no-take] [--each ACTION]... ACTION...
#include "../common/qtdiff.h"

#include <QCoreApplication>
#include <QFile>
#include <QHostAddress>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QWebSocket>
#include <QWebSocketCorsAuthenticator>
#include <QWebSocketServer>

#include <cstdio>
#include <cstdlib>

// Options are the command line's settings.
struct Options
{
    bool secure = false;
    QString certFile;
    QString keyFile;
    QString address = QStringLiteral("127.0.0.1");
    QString name = QStringLiteral("QtDiff Server");
    int maxPending = -1;
    QStringList protocols;
    QStringList refusedOrigins;
    int handshakeTimeout = -2; // -2: leave Qt's default
    bool echo = false;
    bool take = true;
    QStringList each; // the script of every socket
};

class Server : public Script
{
    Q_OBJECT
public:
    Server(const Options &options, const QStringList &actions, QObject *parent = nullptr);
    bool listen();

protected:
    bool act(const QByteArray &verb, const QByteArray &arg) override;

private:
    void onNewConnection();
    void take();
    void adopt(QWebSocket *socket);

    Options m_options;
    QWebSocketServer *m_server;
    int m_taken = 0;
};

Server::Server(const Options &options, const QStringList &actions, QObject *parent)
    : Script("server", actions, parent),
      m_options(options),
      m_server(new QWebSocketServer(options.name,
                                    options.secure ? QWebSocketServer::SecureMode
                                                   : QWebSocketServer::NonSecureMode,
                                    this))
{
    if (options.secure) {
        QSslConfiguration ssl; // as Qt's sslechoserver: a fresh configuration
        ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
        QFile certFile(options.certFile);
        QFile keyFile(options.keyFile);
        certFile.open(QIODevice::ReadOnly);
        keyFile.open(QIODevice::ReadOnly);
        ssl.setLocalCertificate(QSslCertificate(&certFile, QSsl::Pem));
        ssl.setPrivateKey(QSslKey(&keyFile, QSsl::Rsa, QSsl::Pem));
        m_server->setSslConfiguration(ssl);
    }
    if (options.maxPending >= 0)
        m_server->setMaxPendingConnections(options.maxPending);
    if (!options.protocols.isEmpty())
        m_server->setSupportedSubprotocols(options.protocols);
    if (options.handshakeTimeout != -2)
        m_server->setHandshakeTimeout(options.handshakeTimeout);

    connect(m_server, &QWebSocketServer::newConnection, this, &Server::onNewConnection);
    connect(m_server, &QWebSocketServer::acceptError, this, [this](QAbstractSocket::SocketError e) {
        print("acceptError " + errorName(e));
        notify("acceptError");
    });
    connect(m_server, &QWebSocketServer::serverError, this,
            [this](QWebSocketProtocol::CloseCode code) {
                print("serverError " + QByteArray::number(int(code)) + ' '
                      + quoted(m_server->errorString().toUtf8()));
                notify("serverError");
            });
    connect(m_server, &QWebSocketServer::originAuthenticationRequired, this,
            [this](QWebSocketCorsAuthenticator *auth) {
                if (m_options.refusedOrigins.contains(auth->origin()))
                    auth->setAllowed(false);
                print("originAuthenticationRequired " + quoted(auth->origin().toUtf8())
                      + " -> allowed=" + boolName(auth->allowed()));
                notify("originAuthenticationRequired");
            });
    connect(m_server, &QWebSocketServer::closed, this, [this] {
        print("closed");
        notify("closed");
    });
    connect(m_server, &QWebSocketServer::sslErrors, this, [this](const QList<QSslError> &errors) {
        print("sslErrors count=" + QByteArray::number(errors.size()));
        for (const QSslError &e : errors)
            print("sslError " + sslErrorText(e));
        notify("sslErrors");
    });
    connect(m_server, &QWebSocketServer::peerVerifyError, this, [this](const QSslError &error) {
        print("peerVerifyError " + sslErrorText(error));
        notify("peerVerifyError");
    });
    connect(m_server, &QWebSocketServer::alertSent, this,
            [this](QSsl::AlertLevel level, QSsl::AlertType type, const QString &description) {
                print("alertSent level=" + QByteArray::number(int(level)) + " type="
                      + QByteArray::number(int(type)) + ' ' + quoted(description.toUtf8()));
                notify("alertSent");
            });
    connect(m_server, &QWebSocketServer::alertReceived, this,
            [this](QSsl::AlertLevel level, QSsl::AlertType type, const QString &description) {
                print("alertReceived level=" + QByteArray::number(int(level)) + " type="
                      + QByteArray::number(int(type)) + ' ' + quoted(description.toUtf8()));
                notify("alertReceived");
            });
    connect(m_server, &QWebSocketServer::handshakeInterruptedOnError, this,
            [this](const QSslError &error) {
                print("handshakeInterruptedOnError " + sslErrorText(error));
                notify("handshakeInterruptedOnError");
            });
}

bool Server::listen()
{
    const bool ok = m_server->listen(QHostAddress(m_options.address), 0);
    if (ok)
        printLine("# port=" + QByteArray::number(m_server->serverPort()));
    print("call listen -> " + boolName(ok));
    return ok;
}

void Server::onNewConnection()
{
    print("newConnection");
    if (m_options.take) {
        while (QWebSocket *socket = m_server->nextPendingConnection())
            adopt(socket);
    }
    notify("newConnection");
}

void Server::take()
{
    QWebSocket *socket = m_server->nextPendingConnection();
    if (!socket) {
        print("call nextPendingConnection -> null");
        return;
    }
    print("call nextPendingConnection -> socket" + QByteArray::number(m_taken + 1));
    adopt(socket);
}

void Server::adopt(QWebSocket *socket)
{
    const QByteArray who = "socket" + QByteArray::number(++m_taken);
    QByteArray requested;
    for (const QString &p : socket->handshakeOptions().subprotocols())
        requested += (requested.isEmpty() ? "" : ", ") + quoted(p.toUtf8());
    printLine(who + " accepted state=" + stateName(socket->state())
              + " origin=" + quoted(socket->origin().toUtf8())
              + " resourceName=" + quoted(socket->resourceName().toUtf8())
              + " requestUrl=" + quoted(socket->requestUrl().toString().toUtf8())
              + " subprotocol=" + quoted(socket->subprotocol().toUtf8())
              + " requested=[" + requested + ']');
    auto *script = new SocketScript(who, m_options.each, socket, nullptr, this);
    if (m_options.echo) {
        connect(socket, &QWebSocket::textMessageReceived, this, [who, socket](const QString &m) {
            printLine(who + " call sendTextMessage -> "
                      + QByteArray::number(socket->sendTextMessage(m)));
        });
        connect(socket, &QWebSocket::binaryMessageReceived, this,
                [who, socket](const QByteArray &m) {
                    printLine(who + " call sendBinaryMessage -> "
                              + QByteArray::number(socket->sendBinaryMessage(m)));
                });
    }
    connect(script, &Script::finished, this, [this] { notify("done"); });
    script->start();
}

bool Server::act(const QByteArray &verb, const QByteArray &arg)
{
    if (verb == "take") {
        take();
    } else if (verb == "close-server") {
        m_server->close();
        print("call close -> isListening=" + boolName(m_server->isListening()));
    } else if (verb == "pause") {
        m_server->pauseAccepting();
        print("call pauseAccepting");
    } else if (verb == "resume") {
        m_server->resumeAccepting();
        print("call resumeAccepting");
    } else if (verb == "get") {
        QByteArray value;
        if (arg == "isListening")
            value = boolName(m_server->isListening());
        else if (arg == "hasPendingConnections")
            value = boolName(m_server->hasPendingConnections());
        else if (arg == "error")
            value = QByteArray::number(int(m_server->error()));
        else if (arg == "errorString")
            value = quoted(m_server->errorString().toUtf8());
        else if (arg == "maxPendingConnections")
            value = QByteArray::number(m_server->maxPendingConnections());
        else
            return false;
        print("get " + arg + " -> " + value);
    } else {
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);

    Options options;
    QStringList actions;
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg = argv[i];
        const bool hasValue = i + 1 < argc;
        if (arg == "--secure") {
            options.secure = true;
        } else if (arg == "--cert" && hasValue) {
            options.certFile = QString::fromLocal8Bit(argv[++i]);
        } else if (arg == "--key" && hasValue) {
            options.keyFile = QString::fromLocal8Bit(argv[++i]);
        } else if (arg == "--listen" && hasValue) {
            options.address = QString::fromUtf8(argv[++i]);
        } else if (arg == "--name" && hasValue) {
            options.name = QString::fromUtf8(unescape(argv[++i]));
        } else if (arg == "--max-pending" && hasValue) {
            options.maxPending = QByteArray(argv[++i]).toInt();
        } else if (arg == "--protocol" && hasValue) {
            options.protocols << QString::fromUtf8(argv[++i]);
        } else if (arg == "--refuse-origin" && hasValue) {
            options.refusedOrigins << QString::fromUtf8(unescape(argv[++i]));
        } else if (arg == "--handshake-timeout" && hasValue) {
            options.handshakeTimeout = QByteArray(argv[++i]).toInt();
        } else if (arg == "--echo") {
            options.echo = true;
        } else if (arg == "--no-take") {
            options.take = false;
        } else if (arg == "--each" && hasValue) {
            options.each << QString::fromUtf8(argv[++i]);
        } else if (arg.startsWith("--")) {
            std::fprintf(stderr, "server: unknown option %s\n", arg.constData());
            return 2;
        } else {
            actions << QString::fromUtf8(arg);
        }
    }

    Server server(options, actions);
    if (!server.listen()) {
        std::fflush(stdout);
        return 1;
    }
    StdinWatcher stdinWatcher(&server);
    QObject::connect(&server, &Script::finished, &app, &quitProgram); // the end is a quit
    server.start();
    const int code = app.exec();
    // The scenario is over: what objects would emit while they are
    // destroyed is not part of it.
    std::fflush(stdout);
    std::_Exit(code);
}

#include "main.moc"
