// What the qtdiff programs share: the line format of FORMAT.md and the
// script engine. twin/common is its Go port.
#pragma once

#include <QAbstractSocket>
#include <QByteArray>
#include <QHash>
#include <QList>
#include <QNetworkRequest>
#include <QObject>
#include <QSslError>
#include <QStringList>
#include <QTimer>
#include <QWebSocketHandshakeOptions>

class QSocketNotifier;
class QWebSocket;

// printLine writes one line to standard output, unless the program quits.
void printLine(const QByteArray &line);
// quitProgram stops printing and leaves the event loop with status 0.
void quitProgram();

// quoted is a string in FORMAT.md's quoting.
QByteArray quoted(const QByteArray &bytes);
// payload is a payload: quoted up to 64 bytes, else len=N fnv=HHHHHHHH.
QByteArray payload(const QByteArray &bytes);
// fnv1a is the 32-bit FNV-1a hash.
quint32 fnv1a(const QByteArray &bytes);
// unescape undoes quoted's escapes in a script argument.
QByteArray unescape(const QByteArray &arg);
// patternText and patternBinary are the send-text-n / send-binary-n payloads.
QByteArray patternText(qsizetype n);
QByteArray patternBinary(qsizetype n);

QByteArray stateName(QAbstractSocket::SocketState state);
QByteArray errorName(QAbstractSocket::SocketError error);
QByteArray boolName(bool b);
// sslErrorText is how an SSL error is printed (the one place that knows
// the error type).
QByteArray sslErrorText(const QSslError &error);

// A Script runs actions one after another; a wait suspends it until a
// signal has been notified (or its bound passes). Subclasses do the
// actions that are not wait, sleep or quit.
class Script : public QObject
{
    Q_OBJECT
public:
    Script(const QByteArray &who, const QStringList &actions, QObject *parent = nullptr);

    // start runs the actions up to the first wait that must wait.
    void start();
    // notify counts one emission of name and resumes a wait for it.
    void notify(const QByteArray &name);
    QByteArray who() const { return m_who; }

Q_SIGNALS:
    // finished is emitted once, when the last action has run.
    void finished();

protected:
    // act does one action; it returns false for an unknown verb.
    virtual bool act(const QByteArray &verb, const QByteArray &arg) = 0;
    void print(const QByteArray &rest) const { printLine(m_who + ' ' + rest); }

private:
    void run();
    void timedOut();

    QByteArray m_who;
    QList<QByteArray> m_actions;
    qsizetype m_next = 0;
    QHash<QByteArray, int> m_emitted;
    QHash<QByteArray, int> m_consumed;
    QByteArray m_waiting; // the signal waited for, "" while not waiting
    bool m_sleeping = false;
    bool m_running = false;
    bool m_finished = false;
    QTimer m_timer;
};

// OpenConfig is what a client's open action opens.
struct OpenConfig
{
    QNetworkRequest request;
    QWebSocketHandshakeOptions options;
};

// A SocketScript prints every signal of a socket and runs a script on it.
class SocketScript : public Script
{
    Q_OBJECT
public:
    SocketScript(const QByteArray &who, const QStringList &actions, QWebSocket *socket,
                 const OpenConfig *config, QObject *parent = nullptr);

protected:
    bool act(const QByteArray &verb, const QByteArray &arg) override;

private:
    void connectSignals();
    void printState(const QByteArray &call);

    QWebSocket *m_socket;
    const OpenConfig *m_config;
};

// A StdinWatcher notifies a script of "eof" when standard input closes.
class StdinWatcher : public QObject
{
    Q_OBJECT
public:
    explicit StdinWatcher(Script *script, QObject *parent = nullptr);

private:
    void readable();

    Script *m_script;
    QSocketNotifier *m_notifier;
};
